"""DNSSEC for the lab: every lab signs its zones when it starts, with keys made for that lab.

zones/dnssec.conf says which zones are signed, how (algorithm, NSEC or NSEC3) and which are
broken on purpose (the faults, see that file). A Signer works in <lab tmp>/dnssec/:

  1. one key per signed zone (ldns-keygen, a KSK that also signs the zone's data), in keys/;
     a zone with the ds-mismatch fault gets a second key that it never publishes;
  2. each child's DS (SHA-256, computed here with dnspython) is appended to its parent's text,
     changed as the child's ds-* fault says;
  3. every zone is signed with ldns-signzone (NSEC, or NSEC3 with its parameters; the expired
     and not-yet-valid faults move the signatures' validity window);
  4. the change=, drop-rrsig= and drop-nsec faults edit the signed text, line by line;
  5. the root's DS and DNSKEY become the lab's trust anchor: root.ds and root.key (zone-file
     format, for rootwalkd's and Unbound's trust-anchor-file) and root.delv (a trust-anchors
     block for delv -a).

The unsigned text of each signed zone (with its children's DS) is kept in unsigned/, so that a
test that edits a zone (Lab.zone_edits) gets it signed again with the same key (sign_text).
Keys are never reused across labs: making them takes milliseconds (the one RSA key, 0.2 s).
Steps 1 and 3 run their processes in parallel.
"""

import os
import subprocess
import time

import dns.dnssec
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype

from rwlab import ZONES, LabError
from rwlab.zonefiles import zone_file_name, zone_origin

PLAN = os.path.join(ZONES, "dnssec.conf")
ALGORITHMS = {"RSASHA256": ["-a", "RSASHA256", "-b", "2048"],
              "ECDSAP256SHA256": ["-a", "ECDSAP256SHA256"],
              "ED25519": ["-a", "ED25519"]}
FAULTS = ("expired", "not-yet-valid", "ds-mismatch", "ds-algorithm", "ds-digest", "change",
          "drop-rrsig", "drop-nsec")
DS_TTL = 86400
DAY = 86400
TOOL_TIMEOUT = 30


class ZonePlan:
    """One line of zones/dnssec.conf: origin, algorithm, denial ("nsec" or "nsec3"), NSEC3
    iterations and opt-out, faults {name: value or True}."""

    def __init__(self, origin, algorithm, denial, faults):
        self.origin = origin
        self.algorithm = algorithm
        self.denial = denial
        self.iterations = 0
        self.optout = False
        self.faults = faults
        self.key = None        # base name of the key files (keys/K<zone>+<alg>+<tag>)
        self.dnskey = None     # its DNSKEY rdata
        self.unpublished = None  # ds-mismatch: the DNSKEY rdata whose digest the parent holds

    def __repr__(self):
        return "ZonePlan(%s %s %s %s)" % (self.origin, self.algorithm, self.denial, self.faults)


def read_plan(path=PLAN):
    """zones/dnssec.conf as {origin: ZonePlan}."""
    plans = {}
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            words = line.split("#", 1)[0].split()
            if not words:
                continue
            where = "%s:%d" % (path, lineno)
            if len(words) < 3:
                raise LabError("%s: want 'zone algorithm denial [fault...]'" % where)
            origin = zone_origin(words[0])
            if words[1] not in ALGORITHMS:
                raise LabError("%s: unknown algorithm %s" % (where, words[1]))
            denial = words[2].split(":")
            faults = {}
            for w in words[3:]:
                name, _, value = w.partition("=")
                if name not in FAULTS:
                    raise LabError("%s: unknown fault %s" % (where, name))
                faults[name] = value or True
            p = ZonePlan(origin, words[1], denial[0], faults)
            if p.denial not in ("nsec", "nsec3"):
                raise LabError("%s: denial is nsec or nsec3, not %s" % (where, p.denial))
            for opt in denial[1:]:
                if p.denial == "nsec3" and opt == "optout":
                    p.optout = True
                elif p.denial == "nsec3" and opt.startswith("iterations="):
                    p.iterations = int(opt.split("=", 1)[1])
                else:
                    raise LabError("%s: unknown denial option %s" % (where, opt))
            plans[origin] = p
    return plans


def parent_of(origin, origins):
    """The closest zone among origins that encloses origin (None for the root)."""
    name = dns.name.from_text(origin)
    while name != dns.name.root:
        name = name.parent()
        if name.to_text() in origins:
            return name.to_text()
    return None


def _run_all(argvs, cwd):
    """Run the commands in parallel; their stdouts, in order. Raises LabError if one fails."""
    procs = [subprocess.Popen(a, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for a in argvs]
    outs = []
    failed = []
    for a, p in zip(argvs, procs):
        try:
            out, err = p.communicate(timeout=TOOL_TIMEOUT)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
            err += " (timed out)"
        outs.append(out)
        if p.returncode != 0:
            failed.append("%s: %s" % (" ".join(a), (err or out).strip()[-500:]))
    if failed:
        raise LabError("signing the lab failed:\n" + "\n".join(failed))
    return outs


def _read_dnskey(path):
    """The DNSKEY rdata of an ldns-keygen .key file (its comment dropped)."""
    with open(path) as f:
        fields = f.read().split(";", 1)[0].split(None, 3)
    # owner IN DNSKEY rdata
    return dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.DNSKEY, fields[3])


def ds_rdata(origin, plan):
    """The DS rdata the parent holds for a signed child: SHA-256 of its key, or of its
    unpublished key (ds-mismatch), with the algorithm or digest type a ds-* fault names."""
    key = plan.unpublished if "ds-mismatch" in plan.faults else plan.dnskey
    ds = dns.dnssec.make_ds(dns.name.from_text(origin), key, "SHA256")
    if "ds-algorithm" in plan.faults:
        ds = ds.replace(algorithm=int(plan.faults["ds-algorithm"]))
    if "ds-digest" in plan.faults:
        ds = ds.replace(digest_type=int(plan.faults["ds-digest"]))
    return ds


class Signer:
    """Signs a lab's copy of the zones (zonesdir, whose files are named as in zones/) in
    workdir; see the module's description."""

    def __init__(self, zonesdir, workdir, plan_path=PLAN, now=None):
        self.zonesdir = zonesdir
        self.dir = workdir
        self.keydir = os.path.join(workdir, "keys")
        self.unsigned_dir = os.path.join(workdir, "unsigned")
        self.plans = read_plan(plan_path)
        self.now = int(now if now is not None else time.time())
        self.anchor_ds = os.path.join(workdir, "root.ds")
        self.anchor_key = os.path.join(workdir, "root.key")
        self.anchor_delv = os.path.join(workdir, "root.delv")
        self.seconds = None

    def signs(self, zone):
        return zone_origin(zone) in self.plans

    def sign_all(self, served):
        """Make the keys, add the DS records, sign every planned zone, write the anchors.
        served: the origins the lab serves (every planned zone must be one of them)."""
        t0 = time.monotonic()
        served = set(served)
        missing = [o for o in self.plans if o not in served]
        if missing:
            raise LabError("zones/dnssec.conf signs zones the lab does not serve: %s"
                           % ", ".join(missing))
        os.makedirs(self.keydir, exist_ok=True)
        os.makedirs(self.unsigned_dir, exist_ok=True)
        self._make_keys()
        texts = {}
        for origin in self.plans:
            with open(os.path.join(self.zonesdir, zone_file_name(origin))) as f:
                texts[origin] = f.read()
        for origin, plan in self.plans.items():
            parent = parent_of(origin, served)
            if parent is None:
                continue
            if parent not in self.plans:
                raise LabError("%s is signed but its parent %s is not" % (origin, parent))
            texts[parent] += "\n; DS added by scripts/rwlab/signing.py\n%s %d IN DS %s\n" % (
                origin, DS_TTL, ds_rdata(origin, plan).to_text())
        for origin, text in texts.items():
            with open(self._unsigned_path(origin), "w") as f:
                f.write(text)
        origins = list(self.plans)
        _run_all([self._sign_argv(o) for o in origins], self.dir)
        for o in origins:
            self._finish(o)
        self._write_anchors()
        self.seconds = time.monotonic() - t0
        return self

    def sign_text(self, zone, text):
        """Sign text (the unsigned zone, as from unsigned_text) with the zone's key, plan and
        faults; also keeps it as the zone's unsigned text. Returns the signed text."""
        origin = zone_origin(zone)
        with open(self._unsigned_path(origin), "w") as f:
            f.write(text)
        _run_all([self._sign_argv(origin)], self.dir)
        return self._finish(origin, install=False)

    def keep_unsigned(self, zone, text):
        """Make text the zone's unsigned text again (after an edit is undone)."""
        with open(self._unsigned_path(zone_origin(zone)), "w") as f:
            f.write(text)

    def unsigned_text(self, zone):
        with open(self._unsigned_path(zone_origin(zone))) as f:
            return f.read()

    # -- the steps --------------------------------------------------------------------------

    def _unsigned_path(self, origin):
        return os.path.join(self.unsigned_dir, zone_file_name(origin))

    def _signed_path(self, origin):
        return os.path.join(self.dir, zone_file_name(origin) + ".signed")

    def _make_keys(self):
        jobs = []
        for origin, plan in self.plans.items():
            argv = ["ldns-keygen"] + ALGORITHMS[plan.algorithm] + ["-k", "-r", "/dev/urandom",
                                                                   origin]
            jobs.append((plan, "key", argv))
            if "ds-mismatch" in plan.faults:
                jobs.append((plan, "unpublished", argv))
        outs = _run_all([a for _, _, a in jobs], self.keydir)
        for (plan, which, _), out in zip(jobs, outs):
            base = os.path.join(self.keydir, out.strip())
            dnskey = _read_dnskey(base + ".key")
            if which == "key":
                plan.key, plan.dnskey = base, dnskey
            else:
                plan.unpublished = dnskey
                for ext in (".key", ".private", ".ds"):
                    os.unlink(base + ext)  # never usable for signing by mistake

    def _sign_argv(self, origin):
        plan = self.plans[origin]
        argv = ["ldns-signzone", "-o", origin, "-f", self._signed_path(origin)]
        if plan.denial == "nsec3":
            argv += ["-n", "-t", str(plan.iterations)]
            if plan.optout:
                argv.append("-p")
        if "expired" in plan.faults:
            argv += ["-i", str(self.now - 60 * DAY), "-e", str(self.now - 30 * DAY)]
        elif "not-yet-valid" in plan.faults:
            argv += ["-i", str(self.now + 30 * DAY), "-e", str(self.now + 60 * DAY)]
        else:
            # A window around the lab's start (not just from "now": a clock a second behind
            # must not see a signature that is not valid yet), ending in 30 days.
            argv += ["-i", str(self.now - 3600), "-e", str(self.now + 30 * DAY)]
        return argv + [self._unsigned_path(origin), plan.key]

    def _finish(self, origin, install=True):
        """Apply the post-signing faults to the signed file; install: copy it over the lab's
        zone file. Returns the text."""
        with open(self._signed_path(origin)) as f:
            text = f.read()
        text = apply_faults(origin, text, self.plans[origin].faults)
        if install:
            with open(os.path.join(self.zonesdir, zone_file_name(origin)), "w") as f:
                f.write(text)
        return text

    def _write_anchors(self):
        root = self.plans.get(".")
        if root is None:
            raise LabError("zones/dnssec.conf does not sign the root: the lab has no anchor")
        ds = ds_rdata(".", root)
        with open(self.anchor_ds, "w") as f:
            f.write("; the lab root's DS (trust anchor), made %s\n. %d IN DS %s\n"
                    % (time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(self.now)), DS_TTL,
                       ds.to_text()))
        with open(self.anchor_key, "w") as f:
            f.write("; the lab root's key (trust anchor)\n. %d IN DNSKEY %s\n"
                    % (DS_TTL, root.dnskey.to_text()))
        with open(self.anchor_delv, "w") as f:
            f.write('trust-anchors {\n\t. static-ds %d %d %d "%s";\n};\n'
                    % (ds.key_tag, ds.algorithm, ds.digest_type, ds.digest.hex().upper()))


# -- the faults that edit signed text (ldns-signzone writes one record per line:
#    owner TTL class type rdata, tab-separated, absolute names) ------------------------------

def _fields(line):
    if not line or line[0] in ";$":
        return None
    f = line.split(None, 4)
    return f if len(f) == 5 else None


def apply_faults(origin, text, faults):
    """The signed text with the change=, drop-rrsig= and drop-nsec faults applied. Each must
    match something, so a typo in dnssec.conf cannot leave a zone unbroken."""
    lines = text.splitlines()
    o = dns.name.from_text(origin)

    def absolute(owner):
        return dns.name.from_text(owner, o).to_text().lower()

    def drop(pred, what):
        kept = [l for l in lines if not (_fields(l) and pred(_fields(l)))]
        if len(kept) == len(lines):
            raise LabError("%s: fault %s matches no record" % (origin, what))
        return kept

    if "change" in faults:
        owner, rtype, data = faults["change"].split("/", 2)
        owner = absolute(owner)
        hit = False
        for i, l in enumerate(lines):
            f = _fields(l)
            if f and f[0].lower() == owner and f[3].upper() == rtype.upper():
                lines[i] = "\t".join(f[:4] + [data])
                hit = True
                break  # one record of the set: its signature no longer fits
        if not hit:
            raise LabError("%s: fault change=%s matches no record" % (origin, faults["change"]))
    if "drop-rrsig" in faults:
        owner, rtype = faults["drop-rrsig"].split("/", 1)
        owner = absolute(owner)
        lines = drop(lambda f: f[0].lower() == owner and f[3] == "RRSIG" and
                     f[4].split()[0].upper() == rtype.upper(), "drop-rrsig")
    if "drop-nsec" in faults:
        lines = drop(lambda f: f[3] in ("NSEC", "NSEC3") or
                     (f[3] == "RRSIG" and f[4].split()[0] in ("NSEC", "NSEC3")), "drop-nsec")
    return "\n".join(lines) + "\n"

