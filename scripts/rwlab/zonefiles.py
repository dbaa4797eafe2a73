"""The lab's data: zones/lab.conf (which server serves which zones), the zone files, their
check with nsd-checkzone, edits of a zone, and the questions generated from the zones."""

import os
import re
import subprocess

import dns.name
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.zone

from rwlab import ZONES, LabError
from rwlab.nsd import Server

# The scripted fault server's zone files (zones/fault/) and the origin each is checked under: the
# TLD, the data every scenario zone is loaded from (under an example origin), the parent zone of
# the DS test and the private root of the priming tests.
FAULT_ZONE_FILES = [("fault.", "fault.zone"), ("example.fault.", "generic.zone"),
                    ("dsparent.fault.", "dsparent.zone"), (".", "primeroot.zone")]


def zone_file_name(zone):
    """File name of a zone in zones/: root.zone for the root, <zone>.zone otherwise."""
    zone = zone.rstrip(".")
    return "root.zone" if zone == "" else zone + ".zone"


def zone_origin(zone):
    zone = zone.rstrip(".")
    return "." if zone == "" else zone + "."


def read_table(path=None):
    """Read zones/lab.conf: lines of 'server-name address zone...'; '#' starts a comment.
    Returns [nsd.Server] (and the other kinds of server_of), each zone served from its file in
    zones/."""
    path = path or os.path.join(ZONES, "lab.conf")
    servers = []
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            line = line.split("#", 1)[0].split()
            if not line:
                continue
            if len(line) < 3:
                raise LabError("%s:%d: want 'server-name address zone...'" % (path, lineno))
            servers.append(server_of(line[0], line[1], line[2:]))
    return servers


def server_of(name, addr, words):
    """One lab.conf line's server: NSD serving the zones in words; "knot:" first runs Knot DNS
    instead; "silent" alone is an address where nothing answers (faults.SilentServer). A zone
    written "zone=file" is served from that file of zones/ (one server's own copy: a secondary
    that is behind), else from zones/<zone>.zone."""
    if words == ["silent"]:
        from rwlab.faults import SilentServer  # faults imports this module
        return SilentServer(name, addr)
    kind = Server
    if words[0] == "knot:":
        from rwlab.knot import KnotServer
        kind, words = KnotServer, words[1:]
    files = []
    for w in words:
        zone, _, f = w.partition("=")
        files.append((zone_origin(zone), f or zone_file_name(zone)))
    return kind(name, addr, files)


def checkzone(origin, path):
    """nsd-checkzone on one file: the finished process (returncode, stdout, stderr)."""
    return subprocess.run(["nsd-checkzone", origin, path], capture_output=True, text=True,
                          timeout=30)


def zone_rdataset(zones, owner, rdtype):
    """The rdataset the lab zone files hold for owner/type (from the zone that is authoritative)."""
    owner = dns.name.from_text(owner)
    best = None
    for origin, z in zones.items():
        o = dns.name.from_text(origin)
        if owner.is_subdomain(o) and (best is None or o.is_subdomain(best[0])):
            best = (o, z)
    assert best is not None, "no lab zone holds %s" % owner
    rds = best[1].get_rdataset(owner, dns.rdatatype.from_text(rdtype))
    assert rds is not None, "zone %s has no %s %s" % (best[0], owner, rdtype)
    return frozenset(rds)


# -- edits of a dns.zone.Zone (see Lab.zone_edits) -------------------------------------------------

def set_rrset(z, name, rdtype, ttl, *rdata):
    """Replace name/rdtype in zone z by these records (text) with this TTL."""
    z.replace_rdataset(name, dns.rdataset.from_text("IN", rdtype, ttl, *rdata))


def set_soa(z, ttl=None, **fields):
    """Change the SOA of zone z: its TTL and any of its fields (serial=..., minimum=...)."""
    soa = z.find_rdataset(z.origin, dns.rdatatype.SOA)
    z.replace_rdataset(z.origin, dns.rdataset.from_rdata(soa.ttl if ttl is None else ttl,
                                                         soa[0].replace(**fields)))


# -- questions generated from the zone data ---------------------------------------------------

SKIP_QUESTIONS = set()
# The middle links of the long CNAME chains in example.org/example.net add nothing the first
# link does not already ask; only c11-1 and c12-1 (and the loop) are compared.
SKIP_OWNERS = re.compile(r"^c1[12]-([2-9]|1[0-2])\.")


# The zones of `rootwalk check` that are broken on purpose in ways that make resolvers disagree or
# wait (tests/integration/test_check.py asks them): the answer depends on which server is asked
# (propagation.com), the data is invalid (a CNAME at the apex, which dnspython will not even hold
# beside the SOA), servers never answer (silent.net; manyns.com, 39 of its 40). load_zones() and
# so the comparison questions leave them out.
CHECK_FAULT_ZONES = {"propagation.com.", "apexcname.com.", "silent.net.", "manyns.com."}

# Zone files invalid on purpose, and the reason nsd-checkzone gives (Knot serves them).
INVALID_ON_PURPOSE = {("apexcname.com.", "apexcname.com.zone"): "CNAME and other data"}


def load_zones():
    """All lab zones as {origin: dns.zone.Zone}, from the repository's zones/ (the zone's own
    file, not a server's variant), but CHECK_FAULT_ZONES."""
    out = {}
    for s in read_table():
        for z in s.zones:
            if z not in out and z not in CHECK_FAULT_ZONES:
                out[z] = dns.zone.from_file(os.path.join(ZONES, zone_file_name(z)), origin=z,
                                            relativize=False)
    return out


def broken_zones():
    """The zones that zones/dnssec.conf signs with a fault (tests/integration/test_dnssec.py)."""
    from rwlab.signing import read_plan  # signing imports this module
    return {origin for origin, plan in read_plan().items() if plan.faults}


def questions():
    """Questions for comparing resolvers, generated from the zone files.

    Every (owner, type) with authoritative data in a zone, plus per zone one NXDOMAIN name and,
    per owner, one type it lacks (NODATA) or, for an alias, type A (the chain is followed), plus
    the lame delegation (SERVFAIL everywhere), DS at and below every zone cut, and a fixed list
    of edge cases (the root's data, a TLD that does not exist, names below an alias, an empty
    non-terminal, an unknown type, a question in mixed case, the special-use and locally served
    zones).
    Owners below a zone cut (glue, delegation NS in the parent) are left to the child zone.
    The zones that zones/dnssec.conf breaks on purpose (a fault) are left out: a validating
    resolver answers them SERVFAIL, the iterator-only reference does not (test_dnssec.py asks
    them).
    """
    broken = broken_zones()
    zones = {o: z for o, z in load_zones().items() if o not in broken}
    qs = []
    seen = set()

    def add(name, rdtype):
        key = (str(name).lower(), rdtype)
        if key not in seen:
            seen.add(key)
            qs.append(key)

    for origin, zone in sorted(zones.items()):
        cuts = [n for n, node in zone.nodes.items()
                if n != zone.origin and node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.NS)]
        for name, node in sorted(zone.nodes.items()):
            if any(name.is_subdomain(c) for c in cuts):
                continue  # delegation or glue: the child zone answers for it
            types = [rds.rdtype for rds in node.rdatasets]
            for t in types:
                add(name, dns.rdatatype.to_text(t))
            if dns.rdatatype.CNAME in types:
                add(name, "A")  # follow the alias (possibly into another zone)
            else:
                missing = "SRV" if dns.rdatatype.SRV not in types else "HINFO"
                add(name, missing)
        add(dns.name.from_text("nope", zone.origin) if origin != "." else "nope-tld.", "A")
    add("lame.com.", "A")
    add("www.lame.com.", "A")
    add("does-not-exist.video-platform.com.", "AAAA")
    add("deep.name.under.nothing.example.org.", "A")
    # Questions whose answer comes from somewhere other than the owner's zone, or none: DS at
    # and below every delegation (the parent answers, RFC 4035 3.1.4.1), the root's own data,
    # a TLD that does not exist, names below an alias, an empty non-terminal, a type no
    # library names, a question in mixed case.
    for origin, zone in sorted(zones.items()):
        if origin != ".":
            add(origin, "DS")
            add(dns.name.from_text("nope", zone.origin), "DS")
    for name, rdtype in [(".", "DS"), (".", "SOA"), ("foo.invalidtld.", "A"),
                         ("invalidtld.", "NS"), ("x.www.video-platform.com.", "A"),
                         ("x.cdn.video-platform.com.", "A"), ("www.video-platform.com.", "SOA"),
                         ("www.video-platform.com.", "MX"), ("ftp.example.org.", "MX"),
                         ("a.b.c.d.e.f.g.video-platform.com.", "A"), ("gtld-servers.net.", "A"),
                         ("video-platform.com.", "TYPE65534"), ("com.", "A"),
                         ("WwW.ViDeO-PlAtFoRm.CoM.", "A"),
                         # special-use and locally served zones, answered without the root
                         ("localhost.", "A"), ("localhost.", "AAAA"), ("localhost.", "MX"),
                         ("a.localhost.", "A"), ("a.localhost.", "SOA"),
                         ("1.0.0.127.in-addr.arpa.", "PTR"), ("2.0.0.127.in-addr.arpa.", "PTR"),
                         ("0.0.127.in-addr.arpa.", "PTR"), ("invalid.", "A"),
                         ("x.invalid.", "A"), ("test.", "SOA"), ("x.test.", "A"),
                         ("abc.onion.", "A"), ("home.arpa.", "A"), ("x.home.arpa.", "A"),
                         ("1.1.168.192.in-addr.arpa.", "PTR"), ("1.1.31.172.in-addr.arpa.", "PTR"),
                         ("1.1.32.172.in-addr.arpa.", "PTR"), ("10.in-addr.arpa.", "SOA"),
                         ("1.d.f.ip6.arpa.", "PTR"), ("testy.", "A")]:
        key = (name if name != name.lower() else name.lower(), rdtype)
        if key not in seen:
            seen.add(key)
            qs.append(key)
    return [q for q in qs if q not in SKIP_QUESTIONS and not SKIP_OWNERS.match(q[0])]
