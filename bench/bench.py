#!/usr/bin/python3
"""rootwalk benchmark harness: rootwalkd beside Unbound against one generated lab hierarchy.

Run it through bench/run.sh, which builds rootwalkd and starts this script in a private network
namespace (user, network, PID and mount namespaces from `unshare -rnpf --mount-proc`). This script
refuses to start anything unless the only network interface it can see is lo.

What it does (see bench/README.md for the meaning of every figure):
  1. generates a hierarchy into a temporary directory: the root, three TLDs and N second-level
     zones, served by three NSD processes (root, TLDs, leaves) on 127.1.0.1, 127.2.0.1, 127.3.0.1;
  2. for each repetition, runs rootwalkd (127.0.0.53) and Unbound (127.0.0.54) one after the other
     through the workloads: cached, cold, tracing, memory, flood (bench/flood.py), threads
     (bench/threads_row.py: 1 and 2 workers, Unbound with 2 threads);
  3. writes the medians and ratios as a markdown table into bench/RESULTS.md.

Every process started here is stopped here (and the PID namespace kills anything left when this
script exits). Every traffic loop is bounded by a count and a time limit.
"""

import argparse
import datetime
import os
import random
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

import dns.flags
import dns.rdatatype

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "scripts"))

from rwlab import LabError, control, procs, resolvers  # noqa: E402
from rwlab.dnsq import ask  # noqa: E402
from rwlab.isolate import ensure_isolated  # noqa: E402
from rwlab.nsd import Server  # noqa: E402
from rwlab.signing import Signer  # noqa: E402

import dnsdist_row  # noqa: E402  (bench/dnsdist_row.py: workload 1b)
import flood  # noqa: E402  (bench/flood.py: workload 6)
import threads_row  # noqa: E402  (bench/threads_row.py: workload 5)

ROOT_ADDR = "127.1.0.1"
TLD_ADDR = "127.2.0.1"
LEAF_ADDR = "127.3.0.1"
RWD_ADDR = "127.0.0.53"
UNB_ADDR = "127.0.0.54"
FLOOR_ADDR = "127.0.0.55"
TLDS = ["com", "net", "org"]
LEVELS = [("root", ROOT_ADDR), ("tld", TLD_ADDR), ("leaf", LEAF_ADDR)]

CACHED_NAMES = 3000
COLD_IN_FLIGHT = 20
STEP_TIMEOUT = 120  # seconds, upper bound of any single dnsperf or helper command
START_TIMEOUT = 60  # seconds for NSD (10,000 zones) or a resolver to come up
SLOW_BOUND = 400  # seconds a dnsperf run on a cold rootwalkd under callgrind may take


class BenchError(LabError):
    pass


def log(msg):
    sys.stderr.write("[bench %s] %s\n" % (time.strftime("%H:%M:%S"), msg))
    sys.stderr.flush()


# -- processes -----------------------------------------------------------------------------------

PROCS = []  # every long-running process we started (procs.Proc), stopped by stop_all()


def started(p):
    """Register a process for stop_all(); returns it."""
    PROCS.append(p)
    return p


def start_proc(name, argv, logpath, cpu=None):
    return started(procs.Proc(argv, logpath, name=name, cpu=cpu, append=True))


def stop_proc(p, timeout=30):
    """SIGTERM, then SIGKILL after timeout seconds (callgrind needs a while to write)."""
    rc = p.stop(timeout=timeout)
    if p in PROCS:
        PROCS.remove(p)
    return rc


def stop_all():
    for p in list(reversed(PROCS)):
        try:
            stop_proc(p, timeout=10)
        except Exception as e:  # keep stopping the others
            log("stopping %s: %s" % (p.name, e))


def run(argv, timeout=STEP_TIMEOUT, check=True, cpu=None):
    if cpu is not None:
        argv = ["taskset", "-c", str(cpu)] + argv
    r = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=timeout)
    if check and r.returncode != 0:
        raise BenchError("%s failed (%d): %s" % (" ".join(argv), r.returncode,
                                                 (r.stderr or r.stdout)[-2000:]))
    return r


# -- the hierarchy -------------------------------------------------------------------------------

def leaf_zones(n):
    """[(zone, index)]: site00000.com., site00001.net., site00002.org., ..."""
    return [("site%05d.%s." % (i, TLDS[i % 3]), i) for i in range(n)]


def leaf_zone_text(zone, i):
    return "\n".join([
        "$ORIGIN %s" % zone,
        "$TTL 86400",
        "@ SOA ns1 hostmaster 1 3600 900 604800 3600",
        "@ NS ns1",
        "ns1 A %s" % LEAF_ADDR,
        "@ A 198.18.%d.%d" % (i >> 8, i & 255),
        "@ AAAA 2001:db8:18::%x" % i,
        "@ MX 10 mail",
        "@ TXT \"v=spf1 mx -all\" \"site %d of the benchmark hierarchy\"" % i,
        "mail A 198.19.%d.%d" % (i >> 8, i & 255),
        "www CNAME @",
        "",
    ])


# RRsets a full walk of one leaf zone can put in a cache: apex SOA NS A AAAA MX TXT, ns1 A, mail A,
# www CNAME.
LEAF_RRSETS = 9


def fill_queries(zone):
    """Queries that fetch every RRset of one leaf zone (whole-hierarchy fill)."""
    return [(zone, t) for t in ("SOA", "NS", "A", "AAAA", "MX", "TXT")] + [
        ("ns1." + zone, "A"), ("mail." + zone, "A"), ("www." + zone, "A")]


# --dnssec: every zone of the hierarchy is signed with one ECDSA P-256 key (a KSK that signs
# everything) and NSEC, by rwlab.signing (ldns-keygen, ldns-signzone, in parallel).
DNSSEC_ALGORITHM = "ECDSAP256SHA256"
DNSSEC_DENIAL = "nsec"


def sign_hierarchy(tmp, zdir, origins):
    """Sign every zone in zdir (files named as rwlab.zonefiles.zone_file_name) with
    rwlab.signing: a plan in dnssec.conf form naming every zone, each child's DS in its parent,
    the signed text over the zone files. Returns the Signer (anchor_ds: the root's DS)."""
    plan = os.path.join(tmp, "dnssec.conf")
    with open(plan, "w") as f:
        f.write("# the bench hierarchy, all signed (written by bench/bench.py)\n")
        f.write("".join("%s %s %s\n" % (o, DNSSEC_ALGORITHM, DNSSEC_DENIAL) for o in origins))
    return Signer(zdir, os.path.join(tmp, "dnssec"), plan_path=plan).sign_all(origins)


def generate(tmp, n, dnssec=False, flood_names=0):
    """Write zones, hints and NSD configurations (signed zones with dnssec); return a dict of
    paths."""
    zdir = os.path.join(tmp, "zones")
    os.makedirs(zdir)
    leaves = leaf_zones(n)
    root = ["$ORIGIN .", "$TTL 518400",
            ". SOA a.root-servers.net. hostmaster.root-servers.net. 1 1800 900 604800 86400",
            ". NS a.root-servers.net.",
            "a.root-servers.net. A %s" % ROOT_ADDR]
    for t in TLDS:
        root.append("%s. 172800 NS a.gtld-servers.net." % t)
    root.append("a.gtld-servers.net. 172800 A %s" % TLD_ADDR)
    with open(os.path.join(zdir, "root.zone"), "w") as f:
        f.write("\n".join(root) + "\n")
    for t in TLDS:
        lines = ["$ORIGIN %s." % t, "$TTL 172800",
                 "@ 900 SOA a.gtld-servers.net. hostmaster.gtld-servers.net. 1 1800 900 604800 86400",
                 "@ NS a.gtld-servers.net."]
        if t == "net":
            lines += ["a.gtld-servers.net. A %s" % TLD_ADDR,
                      "a.root-servers.net. A %s" % ROOT_ADDR]
        if t == "com":
            lines += flood.delegation_lines()  # workload 6's slow zone
        for zone, i in leaves:
            if zone.endswith("." + t + "."):
                lines += ["%s NS ns1.%s" % (zone, zone), "ns1.%s A %s" % (zone, LEAF_ADDR)]
        with open(os.path.join(zdir, t + ".zone"), "w") as f:
            f.write("\n".join(lines) + "\n")
    for zone, i in leaves:
        with open(os.path.join(zdir, zone + "zone"), "w") as f:
            f.write(leaf_zone_text(zone, i))
    hints = os.path.join(tmp, "root.hints")
    with open(hints, "w") as f:
        f.write(".                  3600000 NS a.root-servers.net.\n"
                "a.root-servers.net. 3600000 A %s\n" % ROOT_ADDR)

    served = {"root": [(".", "root.zone")],
              "tld": [(t + ".", t + ".zone") for t in TLDS],
              "leaf": [(z, "%szone" % z) for z, _ in leaves]}
    signer = None
    if dnssec:
        signer = sign_hierarchy(tmp, zdir, [o for lv in served.values() for o, _ in lv])
    servers = []
    for level, addr in LEVELS:
        s = Server(level, addr, served[level])
        s.configure(os.path.join(tmp, "nsd-" + level), zdir)
        servers.append(s)

    # Workload files (dnsperf input: "NAME TYPE" per line).
    rnd = random.Random(4)
    cands = []
    for zone, _ in leaves:
        cands += [(zone, "A"), (zone, "AAAA"), (zone, "MX"), ("www." + zone, "A"),
                  ("www." + zone, "AAAA"), ("mail." + zone, "A")]
    cached = rnd.sample(cands, min(CACHED_NAMES, len(cands)))
    files = {"cached": cached,
             "cold": [(zone, "A") for zone, _ in leaves],
             "fill": [q for zone, _ in leaves for q in fill_queries(zone)],
             "flood": flood.flood_names(flood_names)}
    paths = {}
    for name, qs in files.items():
        p = os.path.join(tmp, name + ".txt")
        with open(p, "w") as f:
            f.write("".join("%s %s\n" % q for q in qs))
        paths[name] = (p, len(qs))
    # RRsets in the hierarchy: root SOA NS, a.root-servers A; per TLD SOA NS; a.gtld-servers A;
    # the delegations are the leaf zones' NS and glue (the same owner/type as the leaf's own).
    hier_rrsets = 3 + 2 * len(TLDS) + 1 + LEAF_RRSETS * n
    if dnssec:
        # Signed: a DNSKEY in every zone and a DS for every child (their RRSIGs are stored
        # with the RRset they cover, in both resolvers); NSEC records are not counted.
        hier_rrsets += (1 + len(TLDS) + n) + (len(TLDS) + n)
    return {"hints": hints, "servers": servers, "files": paths, "zones": n,
            "dnssec": dnssec, "anchor": signer.anchor_ds if signer else None,
            "sign_seconds": signer.seconds if signer else None,
            "files_first": leaves[0][0],
            "hier_rrsets": hier_rrsets, "cached_list": cached}


# -- NSD -----------------------------------------------------------------------------------------

def start_nsds(gen):
    """Start the generated hierarchy's NSD servers (nsd.Server) and wait until each answers."""
    nsds = gen["servers"]
    for s in nsds:
        run(["nsd-checkconf", s.conf], timeout=60)
        started(s.start().proc)
    for s in nsds:
        s.wait(timeout=START_TIMEOUT)
    return nsds


def nsd_counts(nsds):
    return {s.name: s.query_count() for s in nsds}


# -- resolvers -----------------------------------------------------------------------------------

def rss_kib(r):
    kib = procs.rss_kib(r.proc.pid)
    if kib is None:
        raise BenchError("no VmRSS for %s" % r.kind)
    return kib


def stop_resolver(r):
    """Stop a resolver (resolvers.Resolver) started here; its output is shown if it did not
    exit cleanly."""
    rc = stop_proc(r.proc)
    if rc not in (0, -signal.SIGTERM):
        log("%s exited with status %s; its output:\n%s" % (r.kind, rc, r.proc.output(4000)))
    return rc


class Bench:
    def __init__(self, args, tmp, gen):
        self.args, self.tmp, self.gen = args, tmp, gen
        self.ncpu = os.cpu_count() or 1
        # --pin with two CPUs or more: the resolver on CPU 0, dnsperf on CPU 1, so neither
        # steals the other's core. Not the default: on a machine shared with other work,
        # pinning keeps the scheduler from moving them to a CPU that is free (measured: lower
        # and noisier queries/s pinned than unpinned at a load average of 6 on 2 CPUs).
        pin = self.ncpu >= 2 and args.pin
        self.cpu_server = 0 if pin else None
        self.cpu_client = 1 if pin else None
        self.seq = 0
        qm = "yes" if args.qname_minimisation else "no"
        self.rwd_extra = []
        # Without --dnssec the bench's generated hierarchy is unsigned and Unbound runs without
        # its validator: rootwalkd without DNSSEC too (dnssec: no), where the binary has the key.
        for line in ("qname-minimisation: " + qm, "use-caps-for-id: no", "dnssec: no"):
            if args.dnssec and line.startswith("dnssec"):
                continue
            if resolvers.rootwalkd_accepts(args.rootwalkd, [line]):
                self.rwd_extra.append(line)
            elif line.startswith("qname-minimisation") and args.qname_minimisation:
                raise BenchError("this rootwalkd has no qname-minimisation key; run with "
                                 "--qname-minimisation no")
        if args.dnssec:
            # Signed hierarchy: both validate, from the root's DS as trust anchor.
            lines = ["dnssec: yes", "trust-anchor-file: %s" % gen["anchor"]]
            if not resolvers.rootwalkd_accepts(args.rootwalkd, lines):
                raise BenchError("this rootwalkd does not accept %s" % lines)
            self.rwd_extra += lines
        self.rwd_control = resolvers.rootwalkd_accepts(
            args.rootwalkd, ["control-socket: /tmp/rw-bench-check.ctl"])

    def newdir(self, kind):
        self.seq += 1
        d = os.path.join(self.tmp, "%s-%03d" % (kind, self.seq))
        os.makedirs(d)
        return d

    def start_rootwalkd(self, trace=None, fmt="text", wrapper=None, control=False, addr=RWD_ADDR,
                        extra_lines=()):
        d = self.newdir("rootwalkd")
        extra = ["do-ip6: no", "cache-size: 1g"] + self.rwd_extra + list(extra_lines)
        ctl = None
        if control and self.rwd_control:
            ctl = os.path.join(d, "control.sock")
            extra.append("control-socket: %s" % ctl)
        conf = resolvers.rootwalkd_conf(addr, self.gen["hints"], trace or "off", fmt,
                                        "".join(l + "\n" for l in extra), by="bench/bench.py")
        r = resolvers.start_rootwalkd(d, conf, addr, binary=self.args.rootwalkd,
                                      trace_log=trace, wrapper=wrapper, cpu=self.cpu_server,
                                      timeout=START_TIMEOUT * (3 if wrapper else 1), control=ctl)
        started(r.proc)
        return r

    def start_unbound(self, control=False, lines=()):
        """lines: more server: lines (a key given again wins: num-threads: 2)."""
        d = self.newdir("unbound")
        base = [
            # The same as rootwalkd (--qname-minimisation, default yes).
            "qname-minimisation: %s" % ("yes" if self.args.qname_minimisation else "no"),
            "use-caps-for-id: no",
            "msg-cache-size: 512m",
            "rrset-cache-size: 512m",
            "so-rcvbuf: 4m",
        ]
        if control:
            # Only for the cold/memory runs: dump_cache counts the RRsets, extended statistics
            # give Unbound's own cache accounting (mem.cache.*). A local socket.
            base.append("extended-statistics: yes")
        lines = base + list(lines)
        # --dnssec: module-config "validator iterator" and the root's DS as trust anchor
        # (resolvers.unbound_conf), no validation log.
        conf = resolvers.unbound_conf(d, UNB_ADDR, self.gen["hints"], lines, control=control,
                                      verbosity=0, trust_anchor=self.gen["anchor"],
                                      val_log_level=0)
        r = resolvers.start_unbound(d, conf, UNB_ADDR, cpu=self.cpu_server, wait="listening",
                                    check=True)
        started(r.proc)
        return r

    def start(self, kind, **kw):
        if kind == "rootwalkd":
            return self.start_rootwalkd(**kw)
        return self.start_unbound(**kw)

    # -- dnsperf ---------------------------------------------------------------------------------

    def dnsperf(self, addr, which, clients=1, outstanding=20, limit=None, passes=None, qps=None,
                verbose=False, timeout_s=5, threads=1, bound=None):
        path, count = self.gen["files"][which]
        argv = ["dnsperf", "-s", addr, "-d", path, "-c", str(clients), "-q", str(outstanding),
                "-t", str(timeout_s)]
        if self.args.dnssec:
            argv += ["-D"]  # DO: RRSIGs in the answers, validated data from the cache
        if threads > 1:
            argv += ["-T", str(threads)]
        if limit:
            argv += ["-l", str(limit)]
        if passes:
            argv += ["-n", str(passes)]
        if qps:
            argv += ["-Q", str(qps)]
        if verbose:
            argv += ["-v"]
        # bound: the most this run may take (under valgrind, a slow one: see profile()).
        bound = bound or max(60, (limit or 0) + timeout_s + 30 + (count * (passes or 0)) // 500)
        ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        r = run(argv, timeout=bound, cpu=self.cpu_client)
        ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        res = parse_dnsperf(r.stdout, verbose)
        cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
        res["client_cpu_pct"] = 100.0 * cpu / res["runtime"] if res["runtime"] else None
        return res

    # -- workloads -------------------------------------------------------------------------------

    def warm_cached(self, r, slow=False):
        """Resolve the cached workload's names, then check a second pass is all NOERROR.
        slow: under valgrind (validating there takes minutes: longer timeouts)."""
        kw = {"timeout_s": 20, "bound": SLOW_BOUND} if slow else {}
        self.dnsperf(r.addr, "cached", outstanding=COLD_IN_FLIGHT, passes=1, **kw)
        res = self.dnsperf(r.addr, "cached", outstanding=50, passes=1, **kw)
        n = self.gen["files"]["cached"][1]
        if res["completed"] != n or res["rcodes"].get("NOERROR", 0) != n:
            raise BenchError("%s: the warmed cached workload is not all NOERROR: %s"
                             % (r.kind, res))
        if self.args.dnssec:
            self.check_secure(r)

    def check_secure(self, r):
        """--dnssec: a cached answer asked with DO (the first cached name, asked twice) must
        have AD set and carry RRSIGs in its answer section, or the run is not measuring what
        it says."""
        name, qtype = self.gen["cached_list"][0]
        for _ in range(2):
            m = ask(r.addr, name, qtype, want_dnssec=True, timeout=2.0)
        sigs = [rr for rr in m.answer if rr.rdtype == dns.rdatatype.RRSIG]
        if m.rcode() != 0 or not m.flags & dns.flags.AD or not sigs or \
                not [rr for rr in m.answer if rr.rdtype != dns.rdatatype.RRSIG]:
            raise BenchError("%s: the cached answer to %s %s with DO is not a validated secure "
                             "answer with RRSIGs (AD=%s, %d RRSIG sets):\n%s" % (
                                 r.kind, name, qtype, bool(m.flags & dns.flags.AD), len(sigs),
                                 m.to_text()))
        log("%s: %s %s with DO: AD set, %d RRSIG set(s) in the answer" % (
            r.kind, name, qtype, len(sigs)))

    def saturate(self, r, threads):
        """dnsperf at full speed on the cached names for --duration seconds, with the
        resolver's CPU time (user, system), context switches and dnsperf's own CPU use."""
        a = self.args
        u0, s0 = procs.cpu_times(r.proc.pid)
        v0, i0 = procs.ctxt_switches(r.proc.pid)
        res = self.dnsperf(r.addr, "cached", clients=a.clients, outstanding=a.outstanding,
                           limit=a.duration, threads=threads)
        u1, s1 = procs.cpu_times(r.proc.pid)
        v1, i1 = procs.ctxt_switches(r.proc.pid)
        cpu = (u1 - u0) + (s1 - s0)
        n = max(res["completed"], 1)
        return {"qps": res["qps"], "lost": res["lost"], "sent": res["sent"],
                "avg_ms": res["avg_s"] * 1e3, "cpu_pct": 100.0 * cpu / res["runtime"],
                "cpu_user_pct": 100.0 * (u1 - u0) / res["runtime"],
                "cpu_sys_pct": 100.0 * (s1 - s0) / res["runtime"],
                "user_us_per_q": 1e6 * (u1 - u0) / n,
                "sys_us_per_q": 1e6 * (s1 - s0) / n,
                "sleeps_per_kq": 1000.0 * (v1 - v0) / n,
                "preempt_per_kq": 1000.0 * (i1 - i0) / n,
                "dnsperf_cpu_pct": res["client_cpu_pct"],
                "q_per_cpu_s": (res["completed"] / cpu) if cpu > 0 else None}

    def measure_cached(self, r, latency=True, also_t1=False):
        """The cached workload with dnsperf -T --threads; also_t1: once more with -T 1, whose
        figures get the suffix _t1."""
        a = self.args
        out = self.saturate(r, a.threads)
        if also_t1 and a.threads != 1:
            t1 = self.saturate(r, 1)
            for k in ("qps", "q_per_cpu_s", "cpu_pct", "dnsperf_cpu_pct"):
                out[k + "_t1"] = t1[k]
        if latency:
            # Latency percentiles at a fixed rate below saturation, from dnsperf -v (printing
            # every response costs dnsperf time, so it is a separate, shorter run).
            lat = self.dnsperf(r.addr, "cached", clients=a.clients, outstanding=a.outstanding,
                               limit=a.latency_duration, qps=a.latency_qps, verbose=True)
            lats = sorted(lat["latencies"])
            if lats:
                out["p50_us"] = pct(lats, 50) * 1e6
                out["p99_us"] = pct(lats, 99) * 1e6
                out["p999_us"] = pct(lats, 99.9) * 1e6
        return out

    def cached(self, kind):
        r = self.start(kind)
        try:
            self.warm_cached(r)
            return self.measure_cached(r, also_t1=True)
        finally:
            stop_resolver(r)

    def floor(self):
        """The cached workload against bench/floor.c, a responder that does no DNS work: the
        most queries/s this machine and dnsperf allow, and the kernel's CPU cost per answer."""
        d = self.newdir("floor")
        secs = 2 * self.args.duration + 60
        p = start_proc("floor", [self.args.floor, FLOOR_ADDR, "53", str(secs)],
                       os.path.join(d, "stderr"), cpu=self.cpu_server)
        r = resolvers.Resolver("floor", FLOOR_ADDR, p, d, None)
        try:
            procs.wait_started(p, lambda: procs.wait_listening(
                FLOOR_ADDR, 53, START_TIMEOUT, proc=p, what="floor", udp_only=True))
            return self.measure_cached(r, latency=False, also_t1=True)
        finally:
            stop_resolver(r)

    def tracing(self, fmt):
        trace = os.path.join(self.tmp, "trace-%d.log" % self.seq)
        r = self.start_rootwalkd(trace=trace, fmt=fmt, control=True)
        try:
            self.warm_cached(r)
            drop0 = trace_dropped(r)
            size0 = os.path.getsize(trace)
            t0 = thread_times(r.proc.pid)
            res = self.measure_cached(r, latency=False)
            t1 = thread_times(r.proc.pid)
            size1 = os.path.getsize(trace)
            res["trace_bytes_per_query"] = (size1 - size0) / max(1, res["sent"] - res["lost"])
            # Traces the sink dropped (its queue full: the file, or the thread writing it,
            # behind): the bytes per query above are short by as many.
            drop1 = trace_dropped(r)
            res["trace_dropped_pct"] = (100.0 * (drop1 - drop0) / max(1, res["sent"] - res["lost"])
                                        if drop0 is not None and drop1 is not None else None)
            # Where the CPU time goes: the answering threads (main loop and workers) and the
            # others (the trace sink's writer), µs per answer.
            n = max(1, res["sent"] - res["lost"])
            for k, (a, b) in {"loop": (t0[0], t1[0]), "others": (t0[1], t1[1])}.items():
                res["%s_usr_us" % k] = 1e6 * (b[0] - a[0]) / n
                res["%s_sys_us" % k] = 1e6 * (b[1] - a[1]) / n
            return res
        finally:
            stop_resolver(r)
            try:
                os.unlink(trace)
            except OSError:
                pass

    def cold_and_memory(self, kind, nsds):
        """Workload 2 (cold) then 4 (memory) on one fresh resolver."""
        c0 = nsd_counts(nsds)
        r = self.start(kind, control=True)
        try:
            time.sleep(0.3)  # rootwalkd primes at start; let both settle the same way
            rss0 = rss_kib(r)
            n = self.gen["zones"]
            u0, s0 = procs.cpu_times(r.proc.pid)
            res = self.dnsperf(r.addr, "cold", outstanding=COLD_IN_FLIGHT, passes=1)
            u1, s1 = procs.cpu_times(r.proc.pid)
            c1 = nsd_counts(nsds)
            up = {k: c1[k] - c0[k] for k in c0}
            out = {"cold_s": res["runtime"], "cold_ok": res["rcodes"].get("NOERROR", 0),
                   "cold_avg_ms": res["avg_s"] * 1e3,
                   "cold_lost": res["lost"], "upstream_total": sum(up.values()),
                   "cold_cpu_s": (u1 - u0) + (s1 - s0), "cold_user_s": u1 - u0,
                   "upstream_per_res": sum(up.values()) / n}
            for k, v in up.items():
                out["upstream_" + k] = v
            if out["cold_ok"] != n:
                log("%s: cold run: %d of %d NOERROR (%s)" % (kind, out["cold_ok"], n,
                                                              res["rcodes"]))
            # Memory: every RRset of every zone, then RSS.
            fill = self.dnsperf(r.addr, "fill", outstanding=COLD_IN_FLIGHT, passes=1)
            nfill = self.gen["files"]["fill"][1]
            if fill["rcodes"].get("NOERROR", 0) != nfill:
                log("%s: fill: %s of %d NOERROR" % (kind, fill["rcodes"], nfill))
            time.sleep(0.2)
            rss1 = rss_kib(r)
            rrsets, extra = self.count_rrsets(r)
            out.update({"rss0_kib": rss0, "rss_kib": rss1, "rrsets": rrsets,
                        "bytes_per_rrset": (rss1 - rss0) * 1024 / rrsets if rrsets else None,
                        "rss_per_rrset": rss1 * 1024 / rrsets if rrsets else None})
            out.update(extra)
            return out
        finally:
            stop_resolver(r)

    def count_rrsets(self, r):
        if r.kind == "unbound":
            d = run(["unbound-control", "-c", r.conf, "dump_cache"], timeout=120).stdout
            rrsets = sum(1 for l in d.splitlines() if l.startswith(";rrset"))
            msgs = sum(1 for l in d.splitlines() if l.startswith("msg "))
            st = run(["unbound-control", "-c", r.conf, "stats_noreset"], timeout=60).stdout
            mem = dict(l.split("=", 1) for l in st.splitlines()
                       if l.startswith(("mem.", "num.answer.")))
            extra = {"unbound_msgs": msgs,
                     "unbound_mem_rrset": int(mem.get("mem.cache.rrset", 0)),
                     "unbound_mem_msg": int(mem.get("mem.cache.message", 0))}
            if self.args.dnssec:
                # Answers to clients (cold + fill) by validation result, and the key cache.
                extra.update({"secure_answers": int(mem.get("num.answer.secure", 0)),
                              "bogus_answers": int(mem.get("num.answer.bogus", 0)),
                              "unbound_mem_key": int(mem.get("mem.mod.validator", 0))})
            return rrsets, extra
        if r.control:
            st = dict(l.split(": ", 1) for l in control.request(r.control, "stats")
                      if ": " in l)
            extra = {"rootwalkd_cache_bytes": int(st["cache.bytes"]),
                     "rootwalkd_upstream": int(st["upstream.queries"])}
            if self.args.dnssec:
                extra.update({"secure_answers": int(st.get("dnssec.secure", 0)),
                              "bogus_answers": int(st.get("dnssec.bogus", 0))})
            return int(st["cache.entries"]), extra
        # No control socket: gdb. The probe is a name already cached, so it adds no entry.
        return rootwalkd_cache_count(r, self.gen["files_first"])


def rootwalkd_cache_count(r, probe):
    """rootwalkd has no control socket yet: ask its cache with gdb (rw_cache_count and
    rw_cache_bytes, called at a breakpoint on rw_resolver_query while one query is sent)."""
    if not shutil.which("gdb"):
        return None, {}
    cmds = ["set pagination off", "set confirm off", "break rw_resolver_query", "continue",
            "print (unsigned long)((unsigned long (*)(void *))rw_cache_count)"
            "(((void *(*)(void *))rw_resolver_cache)((void *)$rdi))",
            "print (unsigned long)((unsigned long (*)(void *))rw_cache_bytes)"
            "(((void *(*)(void *))rw_resolver_cache)((void *)$rdi))",
            "delete", "detach", "quit"]
    argv = ["gdb", "-nx", "-q", "-batch", "-p", str(r.proc.pid)]
    for c in cmds:
        argv += ["-ex", c]
    g = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
    try:
        # Bounded: one query every 0.2 s for at most 30 s, until gdb has printed and detached.
        for _ in range(150):
            if g.poll() is not None:
                break
            try:
                ask(r.addr, probe, "A", timeout=0.2)
            except Exception:
                pass
            time.sleep(0.2)
        out, _ = g.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        g.kill()
        out, _ = g.communicate()
        log("gdb did not finish reading rootwalkd's cache counters:\n" + out[-1500:])
        return None, {}
    vals = re.findall(r"^\$\d+ = (\d+)", out, re.M)
    if len(vals) < 2:
        log("gdb could not read rootwalkd's cache counters:\n" + out[-1500:])
        return None, {}
    return int(vals[0]), {"rootwalkd_cache_bytes": int(vals[1])}


def pct(sorted_vals, p):
    if not sorted_vals:
        return None
    k = min(len(sorted_vals) - 1, max(0, int(round(p / 100.0 * len(sorted_vals) + 0.5)) - 1))
    return sorted_vals[k]


def parse_dnsperf(text, verbose=False):
    def num(pattern, cast=float, default=None):
        m = re.search(pattern, text, re.M)
        return cast(m.group(1)) if m else default
    res = {"sent": num(r"Queries sent:\s+(\d+)", int, 0),
           "completed": num(r"Queries completed:\s+(\d+)", int, 0),
           "lost": num(r"Queries lost:\s+(\d+)", int, 0),
           "qps": num(r"Queries per second:\s+([\d.]+)"),
           "runtime": num(r"Run time \(s\):\s+([\d.]+)"),
           "avg_s": num(r"Average Latency \(s\):\s+([\d.]+)", float, 0.0),
           "rcodes": {}}
    m = re.search(r"Response codes:\s+(.*)$", text, re.M)
    if m:
        for code, cnt in re.findall(r"([A-Z]+) (\d+) \(", m.group(1)):
            res["rcodes"][code] = int(cnt)
    if res["qps"] is None:
        raise BenchError("could not parse dnsperf output:\n" + text[-2000:])
    if verbose:
        # "> NOERROR name. A 0.000123" per response ("T" marks a timeout).
        res["latencies"] = [float(x) for x in re.findall(r"^> [A-Z]+ \S+ \S+ ([\d.]+)$", text,
                                                          re.M)]
    return res


# -- profile -------------------------------------------------------------------------------------

def recorded_run(b, trace, trace_fmt, name, argv, outdir):
    """Start rootwalkd (tracing to trace when set), warm the cached names, attach the recorder
    argv (its last word "-p": rootwalkd's pid is added) and run 5 s of the cached workload under
    it; the recorder is stopped with SIGINT so that it writes its report. Returns dnsperf's
    result."""
    r = b.start_rootwalkd(trace=trace, fmt=trace_fmt or "text")
    try:
        b.warm_cached(r)
        rec = start_proc(name, argv + [str(r.proc.pid)], os.path.join(outdir, name + ".log"))
        time.sleep(1.0)
        res = b.dnsperf(r.addr, "cached", clients=b.args.clients,
                        outstanding=b.args.outstanding, limit=5)
        rec.send_signal(signal.SIGINT)
        try:
            rec.wait(timeout=60)
        finally:
            stop_proc(rec)
    finally:
        stop_resolver(r)
    return res


def profile_strace(b, outdir, trace, trace_fmt, what):
    """System calls per answer, every thread of rootwalkd counted (strace -f -c): strace slows
    every call down, so only the counts mean something, not the times."""
    out = os.path.join(outdir, "strace.txt")
    res = recorded_run(b, trace, trace_fmt, "strace", ["strace", "-f", "-c", "-o", out, "-p"],
                       outdir)
    answered = max(1, res["completed"])
    rows = []
    for line in open(out):
        f = line.split()
        if len(f) >= 5 and f[0][0].isdigit() and f[-1] != "total":
            calls = int(f[3])
            errors = int(f[4]) if len(f) == 6 else 0
            rows.append((calls, f[-1], errors))
    rows.sort(reverse=True)
    top = ["%8.4f calls/answer  %s%s" % (c / answered, name,
                                         " (%.4f failed)" % (e / answered) if e else "")
           for c, name, e in rows[:10]]
    return ("%s; strace -f -c during 5 s of the cached workload (%s answers); system calls "
            "per answer, all threads" % (what, fmt(res["completed"])), top)


def profile(b, tool, outdir, trace_fmt=None, workload="cached"):
    """Profile rootwalkd's cached path once: warm the cached names, then a short dnsperf run
    under callgrind (instructions, exact) or perf (user-space cpu-clock samples). Returns
    (description, lines for RESULTS.md)."""
    trace = os.path.join(outdir, "trace.log") if trace_fmt else None
    what = "tracing %s to a file" % trace_fmt if trace_fmt else "tracing off"
    if tool == "perf":
        data = os.path.join(outdir, "perf.data")
        res = recorded_run(b, trace, trace_fmt, "perf",
                           ["perf", "record", "-e", "cpu-clock", "-F", "4999", "-o", data, "-p"],
                           outdir)
        rep = run(["perf", "report", "-i", data, "--stdio", "--sort", "symbol,dso",
                   "--percent-limit", "0.5"], timeout=120).stdout
        top = [l.rstrip() for l in rep.splitlines() if l.strip() and not l.startswith("#")]
        return ("%s; perf record -e cpu-clock during 5 s of the cached workload (%s answers; "
                "user space only: perf_event_paranoid=2 hides the kernel)"
                % (what, fmt(res["completed"])), top[:10])
    if tool == "strace":
        return profile_strace(b, outdir, trace, trace_fmt, what)
    # callgrind: instructions executed in user space; the counters are zeroed after the warm-up.
    out = os.path.join(outdir, "callgrind.out")
    r = b.start_rootwalkd(wrapper=["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out],
                          trace=trace, fmt=trace_fmt or "text", control=True)
    st0 = st1 = None
    try:
        if workload == "cold":
            # Let it prime, then count only the cold walk of every zone.
            time.sleep(2.0)
            run(["callgrind_control", "-z", str(r.proc.pid)], timeout=60)
            res = b.dnsperf(r.addr, "cold", outstanding=COLD_IN_FLIGHT, passes=1, timeout_s=20,
                            bound=SLOW_BOUND)
            how = "dnsperf -q 20 -n 1 on the %s cold names (one per zone)" % fmt(b.gen["zones"])
        else:
            b.warm_cached(r, slow=True)
            st0 = rootwalkd_stats(r)
            run(["callgrind_control", "-z", str(r.proc.pid)], timeout=60)
            res = b.dnsperf(r.addr, "cached", clients=1, outstanding=20, limit=5)
            how = "dnsperf -c 1 -q 20 -l 5%s on the cached names" % (
                " -D (DO set; secure data, validated when cached)" if b.args.dnssec else "")
        # Dump the counters now, so that the profile ends with the workload (not with the
        # shutdown, which frees the cache); the dump is out.1 (or out.PID.1).
        run(["callgrind_control", "-d", str(r.proc.pid)], timeout=60)
        if st0 is not None:
            st1 = rootwalkd_stats(r)
    finally:
        stop_resolver(r)
    dumps = sorted(f for f in os.listdir(outdir) if f.startswith("callgrind.out") and
                   re.search(r"\.1$", f))
    if dumps:
        out = os.path.join(outdir, dumps[0])
    answered = max(1, res["completed"])
    excl = run(["callgrind_annotate", "--threshold=100", "--auto=no", out], timeout=120).stdout
    incl = run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", "--auto=no", out],
               timeout=120).stdout
    total = int(re.search(r"^summary: (\d+)", open(out).read(), re.M).group(1))

    def rows(text):
        for m in re.finditer(r"^\s*([\d,]+) \(\s*([\d.]+)%\)\s+(\S+?):(\S+) \[(\S+)\]",
                             text, re.M):
            yield int(m.group(1).replace(",", "")), float(m.group(2)), m.group(4), \
                os.path.basename(m.group(5))
    # Functions that were on the stack when the counters were zeroed (main, the event loop)
    # show the whole total as their own: leave them out of the self-cost list.
    top = []
    for ir, pc, fn, obj in rows(excl):
        # and the thread starts (the trace sink's writer thread: clone, start_thread)
        if pc >= 99.0 or fn in ("main", "run", "(below main)", "clone", "start_thread") or \
                fn.startswith("__libc_start_main") or fn.startswith("0x"):
            continue
        top.append("%5.1f%%  %6s instr/answer  %s (%s)" % (pc, fmt(ir / answered), fn, obj))
        if len(top) == 10:
            break
    if workload == "cold":
        # The 15 heaviest of our own functions and libraries, inclusive.
        inc = []
        for ir, pc, fn, obj in rows(incl):
            if pc < 99.0 and fn not in ("main", "run", "(below main)") and \
                    not fn.startswith("0x"):
                inc.append("%5.1f%%  %9s instr/answer  %s (%s)" % (
                    pc, fmt(ir / answered), fn, obj))
            if len(inc) == 15:
                break
    else:
        keep = ("udp_recv_cb", "srv_query", "rw_resolver_query", "rw_cache_answer_used",
                "rw_wire_parse_query", "srv_respond", "crypto_shorthash", "calloc", "malloc",
                "free", "rw_answer_trace_fast_hit", "rw_trace_hit_pack", "ts_thread",
                "rw_trace_formatter_hit")
        inc = ["%5.1f%%  %6s instr/answer  %s (inclusive)" % (pc, fmt(ir / answered), fn)
               for ir, pc, fn, obj in rows(incl) if fn in keep]
    lines = ["%s answers under callgrind; %s user-space instructions per answer" % (
        fmt(answered), fmt(total / answered))]
    # Calls into the allocator, with the instructions each took (free(NULL) returns after a
    # few: it releases nothing).
    allocs = alloc_calls(out)
    incl_ir = {}
    for ir, pc, fn, obj in rows(incl):
        incl_ir.setdefault(fn, ir)
    lines.append("allocator calls in the profile: %s; allocations per answer: %s" % (
        ", ".join("%s %s (%s instr per call)" % (fn, fmt(n), fmt(incl_ir.get(fn, 0) / n, 1))
                  for fn, n in sorted(allocs.items())) or "none",
        fmt(sum(n for fn, n in allocs.items() if fn != "free") / answered, 3)))
    if st0 and st1:
        d = {k: int(st1.get(k, 0)) - int(st0.get(k, 0))
             for k in ("cache.fast_path", "cache.hits", "cache.misses", "upstream.queries")}
        lines.append("rootwalkd's counters over the run: cache.fast_path +%s, cache.hits +%s, "
                     "cache.misses +%s, upstream.queries +%s (answers: %s)" % (
                         fmt(d["cache.fast_path"]), fmt(d["cache.hits"]),
                         fmt(d["cache.misses"]), fmt(d["upstream.queries"]), fmt(answered)))
    lines += ["", "self cost, top 10:"] + top + ["", "inclusive cost:"] + inc
    return ("%s path, %s; valgrind --tool=callgrind, counters zeroed after the %s, then %s"
            % (workload, what, "start" if workload == "cold" else "warm-up", how), lines)


ALLOC_FUNCTIONS = ("malloc", "calloc", "realloc", "free", "posix_memalign", "aligned_alloc",
                   "memalign", "reallocarray", "strdup", "strndup")


def alloc_calls(path):
    """{function: calls} of the allocator's entry points in a callgrind output file (the calls=
    lines after each cfn=, with callgrind's name compression "(id) name" then "(id")."""
    names, calls, target = {}, {}, None
    with open(path, errors="replace") as f:
        for line in f:
            if line.startswith(("cfn=", "cfni=")):
                m = re.match(r"cfni?=(?:\((\d+)\))?\s*(.*)$", line.rstrip("\n"))
                ident, name = m.group(1), m.group(2)
                if ident and name:
                    names[ident] = name
                target = name or names.get(ident)
            elif line.startswith("fn=") or line.startswith("fni="):
                m = re.match(r"fni?=(?:\((\d+)\))?\s*(.*)$", line.rstrip("\n"))
                if m.group(1) and m.group(2):
                    names[m.group(1)] = m.group(2)
                target = None
            elif line.startswith("calls=") and target:
                base = target.split("'")[0]
                if base in ALLOC_FUNCTIONS:
                    calls[base] = calls.get(base, 0) + int(line[6:].split()[0])
                target = None
    return calls


def rootwalkd_stats(r):
    """rootwalkd's `stats` (control socket) as {key: value}; {} without a control socket."""
    if not r.control:
        return {}
    return dict(l.split(": ", 1) for l in control.request(r.control, "stats") if ": " in l)


# -- reporting -----------------------------------------------------------------------------------

def first_line(argv):
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=20)
        return ((r.stdout or "") + (r.stderr or "")).strip().splitlines()[0]
    except Exception:
        return "?"


def versions(args):
    desc = subprocess.run(["git", "-C", REPO, "describe", "--always", "--dirty", "--tags"],
                          capture_output=True, text=True, timeout=20).stdout.strip() or "?"
    dnsperf = "?"
    r = subprocess.run(["dnsperf", "-h"], capture_output=True, text=True, timeout=20)
    m = re.search(r"Version ([\d.]+)", r.stdout + r.stderr)
    if m:
        dnsperf = "dnsperf " + m.group(1)
    return {"rootwalkd": "rootwalkd %s (%s)" % (desc, args.buildtype),
            "unbound": "Unbound " + first_line(["unbound", "-V"]).replace("Version ", ""),
            "nsd": first_line(["nsd", "-v"]).replace(" version", ""),
            "dnsperf": dnsperf}


def machine():
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = "?"
    try:
        with open("/proc/meminfo") as f:
            mem = "%.0f GiB RAM" % (int(f.readline().split()[1]) / 1048576)
    except OSError:
        pass
    return "%d CPUs (nproc), %s, %s, Linux %s" % (os.cpu_count() or 0, model, mem,
                                                  os.uname().release)


def trace_dropped(r):
    """The daemon's trace-log-dropped (control socket `status`), or None."""
    if not r.control:
        return None
    for line in control.request(r.control, "status"):
        if line.startswith("trace-log-dropped: "):
            return int(line.split(": ", 1)[1])
    return None


def thread_times(pid):
    """((user, system) of the answering threads: the first (the main loop) and the workers,
    named rw-worker-N; (user, system) of the others: the trace sink's writer, dnstap) in CPU
    seconds."""
    tck = os.sysconf("SC_CLK_TCK")
    loop, others = [0.0, 0.0], [0.0, 0.0]
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
                comm = f.read().strip()
        except OSError:
            continue  # the thread ended meanwhile
        acc = loop if int(tid) == pid or comm.startswith("rw-worker-") else others
        acc[0] += int(fields[11]) / tck
        acc[1] += int(fields[12]) / tck
    return tuple(loop), tuple(others)


def med(vals):
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None


def fmt(v, digits=0):
    if v is None:
        return "n/a"
    if digits == 0:
        return "{:,.0f}".format(v)
    return "{:,.{d}f}".format(v, d=digits)


def cell(vals, digits=0):
    if not vals:
        return "—"  # not measured for this resolver
    vals = [v for v in vals if v is not None]
    if not vals:
        return "n/a"
    m = med(vals)
    if len(vals) == 1:
        return fmt(m, digits)
    return "%s [%s–%s]" % (fmt(m, digits), fmt(min(vals), digits), fmt(max(vals), digits))


def ratio(a, b, digits=2):
    if not a or not b:
        return "—"
    a, b = med(a), med(b)
    if a is None or not b:
        return "n/a"
    return "%.*f" % (digits, a / b)


def verdict(a, b, goal):
    """goal: ('>=', 1.2) or ('<=', 1.0) on the ratio of medians; a miss says by how much."""
    a, b = med(a), med(b)
    if a is None or not b:
        return "n/a"
    x = a / b
    op, lim = goal
    if (x >= lim) if op == ">=" else (x <= lim):
        return "met"
    return "missed by %.1f%%" % (100.0 * abs(x / lim - 1.0))


def build_table(R, args, gen):
    rw, ub = R["rootwalkd"], R["unbound"]
    g = lambda d, k: d.get(k, [])
    n = gen["zones"]
    rows = []

    def row(w, what, a, b, digits=0, goal=None, goaltext=""):
        rows.append("| %s | %s | %s | %s | %s | %s |" % (
            w, what, cell(a, digits), cell(b, digits), ratio(a, b),
            ("%s: %s" % (goaltext, verdict(a, b, goal))) if goal else goaltext))

    dur = "%d s, %d clients, %d in flight, dnsperf -T %d%s" % (
        args.duration, args.clients, args.outstanding, args.threads,
        ", DO set: secure answers with RRSIGs" if args.dnssec else "")
    row("1 cached", "queries/s (%s)" % dur, g(rw, "qps"), g(ub, "qps"), 0, (">=", 1.2),
        "≥ 1.2")
    row("1 cached", "mean latency at that load (ms)", g(rw, "avg_ms"), g(ub, "avg_ms"), 3)
    row("1 cached", "resolver CPU use during that run (%)", g(rw, "cpu_pct"), g(ub, "cpu_pct"))
    row("1 cached", "answers per CPU-second of the resolver", g(rw, "q_per_cpu_s"),
        g(ub, "q_per_cpu_s"), 0, (">=", 1.2), "≥ 1.2")
    row("1 cached", "user CPU µs per answer", g(rw, "user_us_per_q"), g(ub, "user_us_per_q"), 2)
    row("1 cached", "system (kernel) CPU µs per answer", g(rw, "sys_us_per_q"),
        g(ub, "sys_us_per_q"), 2)
    fl = R.get("floor", {})
    if g(rw, "qps_t1"):
        # With one dnsperf thread the generator, not the resolver, is the bottleneck here: the
        # floor row below shows how little room that leaves.
        row("1 cached", "queries/s with dnsperf -T 1", g(rw, "qps_t1"), g(ub, "qps_t1"), 0,
            None, "dnsperf CPU use %s%% / %s%%; the floor got %s of Unbound" % (
                fmt(med(g(rw, "dnsperf_cpu_pct_t1"))), fmt(med(g(ub, "dnsperf_cpu_pct_t1"))),
                ratio(g(fl, "qps_t1"), g(ub, "qps_t1")) if g(fl, "qps_t1") else "n/a"))
        row("1 cached", "answers per CPU-second with dnsperf -T 1", g(rw, "q_per_cpu_s_t1"),
            g(ub, "q_per_cpu_s_t1"), 0)
    if fl:
        # bench/floor.c answers every query with the query itself (QR set, no records), with
        # recvmmsg/sendmmsg and nothing else: about the best any resolver can do on this machine.
        row("1 cached", "floor (bench/floor.c, no DNS work): queries/s, against Unbound",
            g(fl, "qps"), g(ub, "qps"), 0, None,
            "about the most a resolver can reach here (dnsperf CPU use: %s%%); rootwalkd got "
            "%s of the floor" % (fmt(med(g(fl, "dnsperf_cpu_pct"))),
                                 ratio(g(rw, "qps"), g(fl, "qps"))))
        row("1 cached", "floor: answers per CPU-second, against Unbound", g(fl, "q_per_cpu_s"),
            g(ub, "q_per_cpu_s"), 0, None, "floor: %s user + %s system µs per answer; "
            "rootwalkd got %s of the floor" % (
                fmt(med(g(fl, "user_us_per_q")), 2), fmt(med(g(fl, "sys_us_per_q")), 2),
                ratio(g(rw, "q_per_cpu_s"), g(fl, "q_per_cpu_s"))))
        if g(fl, "qps_t1"):
            row("1 cached", "floor: queries/s with dnsperf -T 1, against Unbound",
                g(fl, "qps_t1"), g(ub, "qps_t1"), 0, None,
                "dnsperf CPU use %s%%" % fmt(med(g(fl, "dnsperf_cpu_pct_t1"))))
    row("1 cached", "dnsperf CPU use during that run (%)", g(rw, "dnsperf_cpu_pct"),
        g(ub, "dnsperf_cpu_pct"))
    row("1 cached", "queries lost (of those sent)", g(rw, "lost"), g(ub, "lost"))
    lq = "at %s q/s, %d s" % (fmt(args.latency_qps), args.latency_duration)
    row("1 cached", "latency p50 (µs) %s" % lq, g(rw, "p50_us"), g(ub, "p50_us"), 0)
    row("1 cached", "latency p99 (µs) %s" % lq, g(rw, "p99_us"), g(ub, "p99_us"), 0)
    row("1 cached", "latency p99.9 (µs) %s" % lq, g(rw, "p999_us"), g(ub, "p999_us"), 0)
    dnsdist_row.rows(rw, ub, row, fmt, med, ratio, args)
    row("2 cold", "time to resolve %s zones, %d in flight (s)" % (fmt(n), COLD_IN_FLIGHT),
        g(rw, "cold_s"), g(ub, "cold_s"), 3, ("<=", 1.0), "≤ 1.0")
    row("2 cold", "mean time per resolution (ms)", g(rw, "cold_avg_ms"), g(ub, "cold_avg_ms"), 3)
    row("2 cold", "resolver CPU time during the walk (s)", g(rw, "cold_cpu_s"),
        g(ub, "cold_cpu_s"), 3, None, "user: %s / %s s; as long as the time above: the "
        "walk is CPU-bound" % (fmt(med(g(rw, "cold_user_s")), 3),
                               fmt(med(g(ub, "cold_user_s")), 3)))
    row("2 cold", "upstream queries per resolution (at NSD)", g(rw, "upstream_per_res"),
        g(ub, "upstream_per_res"), 3, ("<=", 1.0), "≤ 1.0")
    rows.append("| 2 cold | … upstream queries to root / TLD / leaf servers (total, medians) | "
                "%s | %s | | |" % tuple(" / ".join(fmt(med(g(d, "upstream_" + k)))
                                                  for k in ("root", "tld", "leaf"))
                                        for d in (rw, ub)))
    row("2 cold", "NOERROR answers (of %s)" % fmt(n), g(rw, "cold_ok"), g(ub, "cold_ok"))
    for f in args.trace_formats:
        # The goal is judged on answers per CPU-second: with tracing off dnsperf, not
        # rootwalkd, limits queries/s here, so a queries/s ratio near 1 can hide a large cost.
        row("3 tracing", "queries/s, every query traced (%s) to a file" % f,
            g(rw, "qps_trace_" + f), [], 0, None,
            "%s of tracing off (rootwalkd CPU use traced: %s%%)" % (
                ratio(g(rw, "qps_trace_" + f), g(rw, "qps")),
                fmt(med(g(rw, "cpu_trace_" + f)))))
        row("3 tracing", "answers per CPU-second, traced (%s)" % f, g(rw, "qcpu_trace_" + f),
            [], 0, None, "%s of tracing off (goal ≥ 0.90: %s)" % (
                ratio(g(rw, "qcpu_trace_" + f), g(rw, "q_per_cpu_s")),
                verdict(g(rw, "qcpu_trace_" + f), g(rw, "q_per_cpu_s"), (">=", 0.9))))
        row("3 tracing", "trace bytes per query (%s)" % f, g(rw, "trace_bpq_" + f), [], 0, None,
            "traces dropped by the sink: %s%% of answers" % fmt(med(
                [v for v in g(rw, "trace_drop_" + f) if v is not None]), 2))
        row("3 tracing", "user + system CPU µs per answer, traced (%s)" % f,
            [u + k for u, k in zip(g(rw, "usr_trace_" + f), g(rw, "sys_trace_" + f))], [], 2,
            None, "%s user + %s system (untraced: %s + %s)" % (
                fmt(med(g(rw, "usr_trace_" + f)), 2), fmt(med(g(rw, "sys_trace_" + f)), 2),
                fmt(med(g(rw, "user_us_per_q")), 2), fmt(med(g(rw, "sys_us_per_q")), 2)))
        row("3 tracing", "… of which the answering threads (main loop, workers), user + system µs (%s)" % f,
            [u + k for u, k in zip(g(rw, "loop_usr_trace_" + f), g(rw, "loop_sys_trace_" + f))],
            [], 2, None, "%s + %s; other threads (trace writes): %s + %s; sleeps per 1,000 "
            "answers: %s" % (
                fmt(med(g(rw, "loop_usr_trace_" + f)), 2),
                fmt(med(g(rw, "loop_sys_trace_" + f)), 2),
                fmt(med(g(rw, "others_usr_trace_" + f)), 2),
                fmt(med(g(rw, "others_sys_trace_" + f)), 2),
                fmt(med(g(rw, "sleeps_trace_" + f)), 1)))
    row("4 memory", "RSS after caching the hierarchy (MiB)",
        [v / 1024 for v in g(rw, "rss_kib")], [v / 1024 for v in g(ub, "rss_kib")], 1)
    row("4 memory", "RSS at start (MiB)", [v / 1024 for v in g(rw, "rss0_kib")],
        [v / 1024 for v in g(ub, "rss0_kib")], 1)
    row("4 memory", "cached RRsets (see README)", g(rw, "rrsets"), g(ub, "rrsets"), 0, None,
        "%s in the hierarchy%s" % (fmt(gen["hier_rrsets"]), (
            " (with a DNSKEY per zone and a DS per child); each RRset's RRSIGs are stored "
            "with it and counted together with it by both" if args.dnssec else "")))
    row("4 memory", "RSS growth per cached RRset (bytes)%s" % (
        ", signatures included" if args.dnssec else ""), g(rw, "bytes_per_rrset"),
        g(ub, "bytes_per_rrset"), 0, ("<=", 1.0), "≤ 1.0")
    row("4 memory", "RSS per cached RRset (bytes)", g(rw, "rss_per_rrset"),
        g(ub, "rss_per_rrset"), 0)
    if g(rw, "flood_sent"):
        fl6 = "%d s of never-cached names in a silent zone at %s q/s" % (
            args.flood_duration, fmt(args.flood_qps))
        row("6 flood", "peak RSS (MiB), %s" % fl6, [v / 1024 for v in g(rw, "flood_peak_rss_kib")],
            [v / 1024 for v in g(ub, "flood_peak_rss_kib")], 1, None, "before the flood: %s / %s"
            % (fmt(med([v / 1024 for v in g(rw, "flood_rss0_kib")]), 1),
               fmt(med([v / 1024 for v in g(ub, "flood_rss0_kib")]), 1)))
        row("6 flood", "peak descriptors", g(rw, "flood_peak_fds"), g(ub, "flood_peak_fds"), 0,
            None, "before the flood: %s / %s" % (fmt(med(g(rw, "flood_fds0"))),
                                                 fmt(med(g(ub, "flood_fds0")))))
        row("6 flood", "a cached name asked every %d ms: answers lost (of %s / %s asked)" % (
            int(flood.PROBE_INTERVAL * 1000), fmt(med(g(rw, "flood_probe_asked"))),
            fmt(med(g(ub, "flood_probe_asked")))), g(rw, "flood_probe_lost"),
            g(ub, "flood_probe_lost"), 0, None, "not NOERROR with data: %s / %s" % (
                fmt(med(g(rw, "flood_probe_bad"))), fmt(med(g(ub, "flood_probe_bad")))))
        row("6 flood", "that cached name's latency p50 (ms)", g(rw, "flood_probe_p50_ms"),
            g(ub, "flood_probe_p50_ms"), 3)
        row("6 flood", "that cached name's latency p99 (ms)", g(rw, "flood_probe_p99_ms"),
            g(ub, "flood_probe_p99_ms"), 3, None, "goal: a few ms")
        row("6 flood", "flood queries sent / unanswered by dnsperf (2 s timeout)",
            g(rw, "flood_sent"), g(ub, "flood_sent"), 0, None, "unanswered: %s / %s; SERVFAIL: "
            "%s / %s" % (fmt(med(g(rw, "flood_lost"))), fmt(med(g(ub, "flood_lost"))),
                         fmt(med(g(rw, "flood_servfail"))), fmt(med(g(ub, "flood_servfail")))))
    threads_row.rows(rw, ub, row, fmt, med, ratio, args)
    if args.only_flood:
        rows = [r for r in rows if r.startswith("| 6 flood")]
    if args.only_tracing:
        rows = [r for r in rows if r.startswith("| 3 tracing") or r.startswith("| 1 cached")]
    if args.only_threads:
        rows = [r for r in rows if r.startswith("| 5 threads")]
    head = ["| workload | figure | rootwalkd | Unbound | rootwalkd/Unbound | goal / note |",
            "|---|---|---|---|---|---|"]
    return "\n".join(head + rows)


def render(args, gen, R, vers, command, started, elapsed, prof, load):
    table = build_table(R, args, gen)
    extra = []
    ub = R["unbound"]
    if ub.get("unbound_msgs"):
        extra.append("Unbound also held %s message-cache entries; its own accounting: rrset cache "
                     "%s bytes, message cache %s bytes (medians)." % (
                         fmt(med(ub["unbound_msgs"])), fmt(med(ub["unbound_mem_rrset"])),
                         fmt(med(ub["unbound_mem_msg"]))))
    rwb = R["rootwalkd"].get("rootwalkd_cache_bytes")
    if rwb:
        extra.append("rootwalkd's cache accounted %s bytes for its entries (rw_cache_bytes, "
                     "median)." % fmt(med(rwb)))
    if args.dnssec and ub.get("secure_answers"):
        rw = R["rootwalkd"]
        extra.append(
            "Validation in the cold + memory instance (medians): rootwalkd %s requests finished "
            "secure, %s bogus (its `dnssec.secure`/`dnssec.bogus`: resolutions, cache hits "
            "answered on the fast path not counted); Unbound %s answers secure, %s bogus "
            "(`num.answer.secure`/`num.answer.bogus`), its validator module (key cache) "
            "%s bytes (`mem.mod.validator`)." % (
                fmt(med(rw.get("secure_answers", []))), fmt(med(rw.get("bogus_answers", []))),
                fmt(med(ub["secure_answers"])), fmt(med(ub.get("bogus_answers", []))),
                fmt(med(ub.get("unbound_mem_key", [])))))
    when = started.strftime("%Y-%m-%d %H:%M UTC")
    if args.runs == 0:
        head = "## Profile run of %s%s" % (when, " (DNSSEC)" if args.dnssec else "")
    else:
        head = ("## DNSSEC run of %s" if args.dnssec else "## Run of %s") % when
        if args.only_flood:
            head = "## Flood run of %s (workload 6 alone: `--only-flood`)" % when
        if args.only_tracing:
            head = "## Tracing run of %s (workload 3 alone: `--only-tracing`)" % when
        if args.only_threads:
            head = "## Threads run of %s (workload 5 alone: `--only-threads`)" % when
    if args.dnssec:
        same = ("- same settings: one thread, DNSSEC validation on in both (rootwalkd "
                "`dnssec: yes`, Unbound `module-config: \"validator iterator\"`, "
                "`val-log-level: 0`), each with `trust-anchor-file:` the root's DS; every "
                "query with DO (`dnsperf -D`); QNAME minimisation %s in both, 0x20 off in "
                "both, IPv4 upstream only, caches of 1 GiB"
                % ("on" if args.qname_minimisation else "off"))
        signed = ("- signed: every zone (root, TLDs, leaves), one %s key each (a KSK that "
                  "signs everything), %s, DS in the parent, by rwlab.signing (ldns-keygen, "
                  "ldns-signzone, in parallel) in %.1f s" % (
                      DNSSEC_ALGORITHM, DNSSEC_DENIAL.upper(), gen["sign_seconds"]))
        if args.runs or args.profile_workload == "cached":
            signed += ("; an AD flag and RRSIGs were checked on a cached answer from %s" % (
                "each resolver in every cached run" if args.runs else "rootwalkd"))
    else:
        same = ("- same settings: one thread, no DNSSEC (Unbound `module-config: \"iterator\"`), "
                "QNAME minimisation %s in both, 0x20 off in both, IPv4 upstream only, caches "
                "of 1 GiB" % ("on" if args.qname_minimisation else "off"))
        signed = None
    if args.threads_row == "yes" and R["rootwalkd"].get(threads_row.PREFIX2 + "qps"):
        same = same.replace("- same settings: one thread", "- same settings: one thread "
                            "(workload 5: rootwalkd `num-threads: 1` and `2`, Unbound "
                            "`num-threads: 2`)")
    text = [head, "",
            "- command: `%s`" % command,
            "- machine: %s" % machine(),
            "- versions: %s; %s; %s; %s" % (vers["rootwalkd"], vers["unbound"], vers["nsd"],
                                            vers["dnsperf"]),
            "- hierarchy: root, %s, %s second-level zones (%d leaf RRsets each), 3 NSD processes"
            % (", ".join(t + "." for t in TLDS), fmt(gen["zones"]), LEAF_RRSETS),
            "- repetitions: %d (cells: median [min–max]); ratio = median/median; %s; "
            "elapsed %.0f s" % (args.runs, "resolver pinned to CPU 0, dnsperf to CPU 1"
                                if (os.cpu_count() or 1) >= 2 and args.pin
                                else "no CPU pinning", elapsed),
            "- load average (1 min) at start / end: %.2f / %.2f (other work on the machine "
            "competes with the benchmark)" % load,
            same] + ([signed] if signed else []) + [""]
    if args.runs == 0:  # only a profile
        text = [l for l in text if not l.startswith("- repetitions")]
        extra = []
    else:
        text += [table, ""]
    text += extra + ([""] if extra else [])
    if prof:
        text += ["Profile of rootwalkd's %s." % prof[0], "", "```"]
        text += prof[1] + ["```", ""]
    if args.runs == 0:
        return "\n".join(text)
    text += ["<details><summary>raw per-run values</summary>", "", "```"]
    for kind in ("rootwalkd", "unbound", "floor"):
        for k in sorted(R.get(kind, {})):
            text.append("%-10s %-24s %s" % (kind, k, " ".join(
                fmt(v, 3) if isinstance(v, float) else str(v) for v in R[kind][k])))
    text += ["```", "</details>", ""]
    return "\n".join(text)


def write_results(path, new):
    # Keep the latest run on top and up to four earlier ones below it (before/after records).
    earlier = []
    if os.path.exists(path):
        with open(path) as f:
            old = f.read()
        # Plain and DNSSEC runs (bench.py --dnssec) are kept apart: four earlier runs of the
        # new run's kind, the latest and four earlier of the other.
        parts = re.split(r"(?m)^(?=## (?:DNSSEC run|Run|Flood run|Threads run) of )", old)
        kinds = ("## Run of ", "## DNSSEC run of ", "## Flood run of ", "## Threads run of ")
        limit = {k: 4 if new.startswith(k) else 5 for k in kinds}
        kept = {k: 0 for k in kinds}
        for e in parts:
            for k in kinds:
                if e.startswith(k) and kept[k] < limit[k]:
                    kept[k] += 1
                    earlier.append(e.rstrip() + "\n")
    with open(path, "w") as f:
        f.write("# rootwalk benchmark results\n\n"
                "Written by `bench/run.sh` (see bench/README.md for what each figure means). The "
                "latest run comes first; earlier runs are kept below it for before/after "
                "comparisons (up to four of each kind). Runs headed \"DNSSEC run\" "
                "(`bench/run.sh --dnssec`) measure a signed hierarchy with both resolvers "
                "validating; the others an unsigned one without validation; \"Flood run\" "
                "(`bench/run.sh --only-flood`) workload 6 alone; \"Threads run\" "
                "(`bench/run.sh --only-threads`) workload 5 alone.\n\n")
        f.write(new)
        for e in earlier:
            f.write("\n" + e)
    return new


# -- main ----------------------------------------------------------------------------------------

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--zones", type=int, default=1000, help="second-level zones (1..10000)")
    ap.add_argument("--quick", action="store_true", help="one repetition instead of three")
    ap.add_argument("--runs", type=int, default=None,
                    help="repetitions (default 3, --quick 1; 0: only the profile, nothing "
                    "written)")
    ap.add_argument("--duration", type=int, default=10, help="seconds of the cached workload")
    ap.add_argument("--clients", type=int, default=20, help="dnsperf clients (sockets)")
    ap.add_argument("--outstanding", type=int, default=200, help="dnsperf queries in flight")
    ap.add_argument("--threads", type=int, default=2,
                    help="dnsperf threads (-T) in the cached workload (default 2; the figures "
                    "for -T 1 are reported too)")
    ap.add_argument("--latency-qps", type=int, default=20000,
                    help="fixed rate of the latency-percentile run")
    ap.add_argument("--latency-duration", type=int, default=3)
    ap.add_argument("--trace-formats", default=None,
                    help="trace formats for workload 3 (comma-separated; empty: skip it; "
                    "default text,json, none with --dnssec)")
    ap.add_argument("--dnssec", action="store_true",
                    help="sign the hierarchy (ECDSA P-256, NSEC), validate in both resolvers "
                    "from the root's DS, and query with DO (dnsperf -D)")
    ap.add_argument("--flood-duration", type=int, default=None,
                    help="seconds of workload 6, the flood (default 60, 10 with --quick; 0: "
                    "skip it)")
    ap.add_argument("--only-flood", action="store_true",
                    help="workload 6 alone (no cached, cold, tracing, memory, floor, profile)")
    ap.add_argument("--only-tracing", action="store_true",
                    help="workload 3 alone: rootwalkd's cached workload untraced, then traced "
                    "in each --trace-formats (no Unbound, cold, memory, floor, flood, dnsdist)")
    ap.add_argument("--flood-qps", type=int, default=5000,
                    help="queries/s of never-cached names in the flood")
    ap.add_argument("--flood-outstanding", type=int, default=10000,
                    help="dnsperf queries in flight during the flood")
    ap.add_argument("--threads-row", default="yes", choices=["yes", "no"],
                    help="workload 5: rootwalkd with 1 and 2 worker threads and Unbound with "
                         "num-threads: 2 (default yes, when the binary has num-threads)")
    ap.add_argument("--only-threads", action="store_true",
                    help="run workload 5 alone (no cold, cached, tracing, flood or profile)")
    ap.add_argument("--dnsdist", default="yes", choices=["yes", "no"],
                    help="workload 1b: cached answers through dnsdist in front of two rootwalkd "
                    "(skipped if dnsdist is not installed)")
    ap.add_argument("--pin", action="store_true",
                    help="pin the resolver to CPU 0 and dnsperf to CPU 1")
    ap.add_argument("--qname-minimisation", default="yes", choices=["yes", "no"],
                    help="QNAME minimisation in both resolvers")
    ap.add_argument("--profile", choices=["callgrind", "perf", "strace", "none"],
                    default="callgrind",
                    help="profile rootwalkd's cached path once (default callgrind)")
    ap.add_argument("--profile-workload", choices=["cached", "cold"], default="cached",
                    help="the path to profile (cold: callgrind only)")
    ap.add_argument("--profile-trace", choices=["text", "json"], default=None,
                    help="profile with every query traced in this format")
    ap.add_argument("--rootwalkd", required=True)
    ap.add_argument("--floor", default=None,
                    help="bench/floor.c built: measure it too (run.sh builds and passes it)")
    ap.add_argument("--buildtype", default="release")
    ap.add_argument("--results", default=os.path.join(HERE, "RESULTS.md"))
    ap.add_argument("--no-results", action="store_true", help="print only, do not write")
    ap.add_argument("--append-profile", action="store_true",
                    help="with --runs 0: append the profile's section to --profiles")
    ap.add_argument("--profiles", default=os.path.join(HERE, "PROFILES.md"))
    ap.add_argument("--command", default=None, help="the command line shown in RESULTS.md")
    ap.add_argument("--max-time", type=int, default=1500,
                    help="give up after this many seconds")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = ap.parse_args(argv)
    if not 1 <= args.zones <= 10000:
        ap.error("--zones must be 1..10000")
    if args.runs is None:
        args.runs = 1 if args.quick else 3
    if args.only_threads:
        if args.only_flood:
            ap.error("--only-threads and --only-flood exclude each other")
        args.flood_duration, args.trace_formats, args.dnsdist = 0, "", "no"
        args.floor, args.profile, args.threads_row = None, "none", "yes"
    if args.flood_duration is None:
        args.flood_duration = 10 if args.quick else 60
    if args.runs < 0 or args.runs > 20:
        ap.error("--runs must be 0..20")
    if args.runs == 0:
        args.no_results = True
    if args.trace_formats is None:
        args.trace_formats = "" if args.dnssec else "text,json"
    args.trace_formats = [f for f in args.trace_formats.split(",") if f]
    args.qname_minimisation = args.qname_minimisation == "yes"
    for f in args.trace_formats:
        if f not in ("text", "json"):
            ap.error("trace formats: text, json")

    ensure_isolated(how="start the benchmark with bench/run.sh")
    for tool in ["nsd", "nsd-checkconf", "unbound", "unbound-checkconf", "unbound-control",
                 "dnsperf", "taskset"] + (["ldns-keygen", "ldns-signzone"] if args.dnssec else []):
        if not shutil.which(tool):
            raise BenchError("%s is not installed" % tool)

    def on_signal(signum, frame):
        raise SystemExit("interrupted by signal %d" % signum)
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, on_signal)

    started = datetime.datetime.now(datetime.timezone.utc)
    load0 = os.getloadavg()[0]
    t0 = time.monotonic()
    deadline = t0 + args.max_time
    tmp = tempfile.mkdtemp(prefix="rootwalk-bench-")

    def check_time(what):
        if time.monotonic() > deadline:
            raise BenchError("over --max-time (%d s) before %s" % (args.max_time, what))
        log("%s (%.0f s)" % (what, time.monotonic() - t0))

    try:
        check_time("generating %d zones in %s%s" % (args.zones, tmp,
                                                     ", signed" if args.dnssec else ""))
        gen = generate(tmp, args.zones, args.dnssec,
                       args.flood_qps * args.flood_duration if args.flood_duration else 0)
        if args.dnssec:
            log("signed %d zones in %.1f s" % (args.zones + 1 + len(TLDS), gen["sign_seconds"]))
        check_time("starting NSD")
        nsds = start_nsds(gen)
        b = Bench(args, tmp, gen)
        threads_ok = threads_row.available(args.rootwalkd)
        if args.only_threads and not threads_ok:
            raise BenchError("--only-threads: this rootwalkd has no num-threads")
        R = {"rootwalkd": {}, "unbound": {}, "floor": {}}

        def add(kind, res, rename=None):
            for k, v in res.items():
                R[kind].setdefault((rename or {}).get(k, k), []).append(v)

        for rep in range(args.runs):
            order = ["rootwalkd", "unbound"] if rep % 2 == 0 else ["unbound", "rootwalkd"]
            alone = args.only_flood or args.only_threads
            if args.only_tracing:
                check_time("run %d/%d: rootwalkd cached, tracing off" % (rep + 1, args.runs))
                add("rootwalkd", b.cached("rootwalkd"))
                order = []
            for kind in order if not alone else []:
                check_time("run %d/%d: %s cold + memory" % (rep + 1, args.runs, kind))
                add(kind, b.cold_and_memory(kind, nsds))
            for kind in order if not alone else []:
                check_time("run %d/%d: %s cached" % (rep + 1, args.runs, kind))
                add(kind, b.cached(kind))
            if args.threads_row == "yes" and threads_ok and not args.only_flood \
                    and not args.only_tracing:
                check_time("run %d/%d: threads (rootwalkd 1 and 2 workers, Unbound 2)"
                           % (rep + 1, args.runs))
                rw5, ub5 = threads_row.cached(b, order, stop_resolver)
                add("rootwalkd", rw5)
                add("unbound", ub5)
            if args.dnsdist == "yes" and dnsdist_row.available() and not args.only_flood \
                    and not args.only_tracing and not args.only_threads:
                check_time("run %d/%d: dnsdist + 2 rootwalkd cached" % (rep + 1, args.runs))
                add("rootwalkd", dnsdist_row.cached(b, PROCS.append, stop_resolver))
            for kind in order if args.flood_duration else []:
                check_time("run %d/%d: %s flood" % (rep + 1, args.runs, kind))
                add(kind, flood.flood(b, kind, stop_resolver))
            if args.floor and not args.only_flood and not args.only_tracing:
                check_time("run %d/%d: floor cached" % (rep + 1, args.runs))
                add("floor", b.floor())
            for f in args.trace_formats if not args.only_flood else []:
                check_time("run %d/%d: rootwalkd cached, tracing %s" % (rep + 1, args.runs, f))
                res = b.tracing(f)
                add("rootwalkd", {"qps_trace_" + f: res["qps"],
                                  "cpu_trace_" + f: res["cpu_pct"],
                                  "qcpu_trace_" + f: res["q_per_cpu_s"],
                                  "trace_bpq_" + f: res["trace_bytes_per_query"],
                                  "usr_trace_" + f: res["user_us_per_q"],
                                  "sys_trace_" + f: res["sys_us_per_q"],
                                  "loop_usr_trace_" + f: res["loop_usr_us"],
                                  "loop_sys_trace_" + f: res["loop_sys_us"],
                                  "others_usr_trace_" + f: res["others_usr_us"],
                                  "others_sys_trace_" + f: res["others_sys_us"],
                                  "sleeps_trace_" + f: res["sleeps_per_kq"],
                                  "trace_drop_" + f: res["trace_dropped_pct"]})
        prof = None
        if args.profile != "none" and not args.only_flood:
            check_time("profiling rootwalkd's %s path (%s)" % (args.profile_workload, args.profile))
            pdir = os.path.join(tmp, "profile")
            os.makedirs(pdir)
            try:
                prof = profile(b, args.profile, pdir, args.profile_trace,
                               args.profile_workload)
            except (LabError, subprocess.SubprocessError, OSError) as e:
                log("profile failed: %s" % e)
        elapsed = time.monotonic() - t0
        vers = versions(args)
        command = args.command or " ".join(sys.argv)
        load = (load0, os.getloadavg()[0])
        text = render(args, gen, R, vers, command, started, elapsed, prof, load)
        print(text)
        if not args.no_results:
            write_results(args.results, text)
            log("wrote %s" % args.results)
        elif args.append_profile and args.runs == 0 and prof:
            with open(args.profiles, "a") as f:
                f.write("\n" + text.rstrip() + "\n")
            log("appended the profile to %s" % args.profiles)
        return 0
    finally:
        stop_all()
        if args.keep:
            log("kept %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except LabError as e:
        log("error: %s" % e)
        stop_all()
        sys.exit(1)
