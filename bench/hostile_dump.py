#!/usr/bin/python3
"""dump-cache on a big cache: how long DNS answers wait while it runs, and the daemon's memory
with clients that ask for it and read nothing (issue 13).

    ROOTWALKD=build-rel/src/daemon/rootwalkd \\
        scripts/in_lab.sh /usr/bin/python3 bench/hostile_dump.py [--entries 150000]

Runs only inside the lab's private network namespace. Fills the cache with NXDOMAIN entries
(names under unsigned.com., served by the lab's NSD), then: (1) one client reads a whole dump
while a probe asks a cached name over UDP every 2 ms: the longest probe answer, the dump's
length and duration, the peak RSS; (2) 16 clients ask for a dump and read nothing for 3 s: the
RSS. Every loop is bounded in count and time; every process is stopped at the end."""

import argparse
import os
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "scripts"))

from rwlab import control, dnsq, isolate, procs  # noqa: E402
from rwlab.labnet import Lab  # noqa: E402


def fill(addr, n, batch=100, limit_s=900):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.5)
    got = 0
    end = time.monotonic() + limit_s
    for start in range(0, n, batch):
        if time.monotonic() > end:
            break
        k = min(batch, n - start)
        for i in range(start, start + k):
            s.sendto(dnsq.make_query("f%d.unsigned.com." % i, "A").to_wire(), (addr, 53))
        for _ in range(k):
            try:
                s.recv(4096)
                got += 1
            except socket.timeout:
                break
    s.close()
    return got


def sample_rss(pid, stop, out, limit_s=120):
    end = time.monotonic() + limit_s
    while not stop.is_set() and time.monotonic() < end:
        out.append(procs.rss_kib(pid))
        time.sleep(0.01)


def read_dump(path, out_path, limit_s=120):
    """`rootwalk dump-cache` into out_path (another process: this one's threads do not slow the
    reader); returns the dump's bytes."""
    with open(out_path, "wb") as out:
        subprocess.run([control.cli_path(), "-s", path, "dump-cache"], stdout=out,
                       stderr=subprocess.DEVNULL, timeout=limit_s, check=False)
    with open(out_path, "rb") as f:
        return f.read()


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--entries", type=int, default=150000)
    args = p.parse_args()
    isolate.ensure_isolated()
    lab = Lab(sign=False)
    lab.start()
    try:
        sock = os.path.join(lab.tmp, "ctl.sock")
        r = lab.start_rootwalkd(
            extra="dnssec: no\naggressive-nsec: no\ncontrol-socket: %s\n" % sock)
        control.wait_socket(r, sock)
        c = control.Control(r, sock)
        dnsq.ask(r.addr, "video-platform.com.", "A")
        t0 = time.monotonic()
        got = fill(r.addr, args.entries)
        st = dict(x.split(": ", 1) for x in c.ok("status").splitlines() if ": " in x)
        print("filled %d entries in %.0f s: cache-entries %s, cache-bytes %s, RSS %d kB"
              % (got, time.monotonic() - t0, st.get("cache-entries"), st.get("cache-bytes"),
                 procs.rss_kib(r.proc.pid)))
        # (1) one reading client, a probe, RSS sampled
        stop = threading.Event()
        times, rss = [], []
        threads = [threading.Thread(target=dnsq.probe_cached, args=(r.addr, stop, times, 120)),
                   threading.Thread(target=sample_rss, args=(r.proc.pid, stop, rss))]
        before = procs.rss_kib(r.proc.pid)
        for t in threads:
            t.start()
        time.sleep(0.2)
        base = list(times)
        t0 = time.monotonic()
        data = read_dump(sock, os.path.join(lab.tmp, "dump.txt"))
        dt = time.monotonic() - t0
        n_before = len(base)
        time.sleep(0.2)
        stop.set()
        for t in threads:
            t.join(timeout=10)
        during = times[n_before:]
        print("dump: %d bytes, %d lines in %.2f s; probe answers during it: %d, longest "
              "%.1f ms (before it: longest %.1f ms); RSS %d kB before, peak %d kB"
              % (len(data), data.count(b"\n"), dt, len(during), max(during) * 1000,
                 max(base or [0]) * 1000, before, max(rss or [0])))
        # (2) 16 clients that read nothing
        before = procs.rss_kib(r.proc.pid)
        socks = []
        for _ in range(16):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(sock)
            s.sendall(b"dump-cache\n")
            socks.append(s)
        peak = before
        end = time.monotonic() + 3
        while time.monotonic() < end:
            peak = max(peak, procs.rss_kib(r.proc.pid))
            time.sleep(0.05)
        m, dt = dnsq.ask_timed(r.addr, "video-platform.com.", "A", timeout=5,
                               none_on_timeout=True)
        print("16 clients not reading: RSS %d kB before, peak %d kB in 3 s; a probe then took "
              "%.1f ms" % (before, peak, dt * 1000))
        for s in socks:
            s.close()
        r.stop()
    finally:
        lab.stop()


if __name__ == "__main__":
    main()
