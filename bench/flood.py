"""Workload 6 of bench/bench.py: a flood of never-cached names in a zone whose servers are
silent (issue 13), with a cached name asked beside it.

silent.com. is delegated to SILENT_ADDRS, where this module binds a UDP socket and a TCP
listener that it never reads nor accepts: every query to them times out, and no ICMP error
tells the resolver so early. dnsperf sends the flood (random 12-letter labels under silent.com.,
each name once) at --flood-qps for --flood-duration seconds; a thread asks one cached name every
PROBE_INTERVAL seconds (bounded in count) and samples the resolver's descriptors. Figures: peak
RSS (VmHWM) and descriptors, the cached name's answers lost and its latency (p50, p99), and what
dnsperf saw of the flood.
"""

import os
import random
import socket
import string
import threading
import time

import dns.message

from rwlab import faults
from rwlab.dnsq import make_query

SILENT_ZONE = "silent.com."
SILENT_ADDRS = ("127.4.0.1", "127.4.0.2")
PROBE_INTERVAL = 0.02
PROBE_TIMEOUT = 1.0


def delegation_lines():
    """The records of com.'s zone that delegate silent.com. to the silent servers."""
    lines = []
    for i, addr in enumerate(SILENT_ADDRS):
        lines += ["%s NS ns%d.%s" % (SILENT_ZONE, i + 1, SILENT_ZONE),
                  "ns%d.%s A %s" % (i + 1, SILENT_ZONE, addr)]
    return lines


def flood_names(n, seed=13):
    """n distinct never-cached names under the silent zone, as dnsperf input lines."""
    rnd = random.Random(seed)
    seen = set()
    while len(seen) < n:
        seen.add("".join(rnd.choice(string.ascii_lowercase) for _ in range(12)))
    return [("%s.%s" % (label, SILENT_ZONE), "A") for label in sorted(seen)]


def fd_count(pid):
    try:
        return len(os.listdir("/proc/%d/fd" % pid))
    except OSError:
        return None


def vm_hwm_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return None


class Prober(threading.Thread):
    """Ask (qname, qtype) at addr every PROBE_INTERVAL s until stopped (at most max_probes
    times), recording each answer's latency or its loss, and the peak descriptors of pid."""

    def __init__(self, addr, qname, qtype, pid, max_probes):
        super().__init__(daemon=True)
        self.addr, self.qname, self.qtype, self.pid = addr, qname, qtype, pid
        self.max_probes = max_probes
        self.stop = threading.Event()
        self.latencies, self.lost, self.bad, self.peak_fds = [], 0, 0, 0

    def ask_once(self, s):
        q = make_query(self.qname, self.qtype)
        t0 = time.monotonic()
        s.sendto(q.to_wire(), (self.addr, 53))
        while True:
            left = PROBE_TIMEOUT - (time.monotonic() - t0)
            if left <= 0:
                self.lost += 1
                return
            s.settimeout(left)
            try:
                wire = s.recv(65535)
            except socket.timeout:
                self.lost += 1
                return
            try:
                m = dns.message.from_wire(wire)
            except Exception:
                continue
            if m.id != q.id:
                continue  # a late answer to an earlier probe
            if m.rcode() != 0 or not m.answer:
                self.bad += 1
            self.latencies.append(time.monotonic() - t0)
            return

    def run(self):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            for _ in range(self.max_probes):
                if self.stop.is_set():
                    break
                self.ask_once(s)
                n = fd_count(self.pid)
                if n is not None and n > self.peak_fds:
                    self.peak_fds = n
                self.stop.wait(PROBE_INTERVAL)


def pct(vals, p):
    vals = sorted(vals)
    if not vals:
        return None
    k = min(len(vals) - 1, max(0, int(round(p / 100.0 * len(vals) + 0.5)) - 1))
    return vals[k]


def flood(b, kind, stop_resolver):
    """Run workload 6 on a fresh resolver of kind (bench.Bench b; stopped with stop_resolver);
    returns its figures."""
    a = b.args
    r = b.start(kind)
    try:
        name, qtype = b.gen["cached_list"][0]
        p = Prober(r.addr, name, qtype, r.proc.pid, 1)
        p.run()  # warm the cached name, and check it answers
        if p.lost or p.bad:
            raise RuntimeError("%s: the cached name %s %s did not answer" % (kind, name, qtype))
        fds0, rss0 = fd_count(r.proc.pid), vm_hwm_kib(r.proc.pid)
        with faults.SilentServers(SILENT_ADDRS):
            p = Prober(r.addr, name, qtype, r.proc.pid,
                       int((a.flood_duration + 10) / PROBE_INTERVAL))
            p.start()
            try:
                res = b.dnsperf(r.addr, "flood", clients=20, outstanding=a.flood_outstanding,
                                limit=a.flood_duration, qps=a.flood_qps, timeout_s=2)
            finally:
                p.stop.set()
                p.join(PROBE_TIMEOUT + 5)
            hwm = vm_hwm_kib(r.proc.pid)
        asked = len(p.latencies) + p.lost
        return {"flood_sent": res["sent"], "flood_lost": res["lost"],
                "flood_servfail": res["rcodes"].get("SERVFAIL", 0),
                "flood_fds0": fds0, "flood_peak_fds": p.peak_fds,
                "flood_rss0_kib": rss0, "flood_peak_rss_kib": hwm,
                "flood_probe_asked": asked, "flood_probe_lost": p.lost,
                "flood_probe_bad": p.bad,
                "flood_probe_p50_ms": 1e3 * pct(p.latencies, 50) if p.latencies else None,
                "flood_probe_p99_ms": 1e3 * pct(p.latencies, 99) if p.latencies else None}
    finally:
        stop_resolver(r)
