#!/usr/bin/python3
"""A server floods junk replies while a query waits: the daemon's memory, the query's trace and
the longest wait of other clients' answers meanwhile (issue 13).

    ROOTWALKD=build-rel/src/daemon/rootwalkd \\
        scripts/in_lab.sh /usr/bin/python3 bench/hostile_junk.py [--count 400000 --ms 4000]

Runs only inside the lab's private network namespace. The scripted server for spoof.fault.
(tests/faultserver.py, scenario junk-flood) sends up to --count junk datagrams within --ms
before its answer; a probe asks a cached name over UDP every 2 ms meanwhile. Every loop is
bounded in count and time; every process is stopped at the end."""

import argparse
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "scripts"))

from rwlab import dnsq, isolate, procs, traces  # noqa: E402
from rwlab.labnet import Lab  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--count", type=int, default=400000)
    p.add_argument("--ms", type=int, default=4000)
    args = p.parse_args()
    isolate.ensure_isolated()
    lab = Lab(sign=False)
    lab.start()
    try:
        lab.start_fault_server("127.9.0.1", {"fault.": "fault.zone"})
        srv = lab.start_fault_server("127.9.3.1", {"spoof.fault.": None},
                                     {"mode": "junk-flood", "junk_count": args.count,
                                      "junk_max_ms": args.ms})
        r = lab.start_rootwalkd(extra="dnssec: no\n")
        dnsq.ask(r.addr, "video-platform.com.", "A")
        before = procs.rss_kib(r.proc.pid)
        stop = threading.Event()
        times = []
        t = threading.Thread(target=dnsq.probe_cached, args=(r.addr, stop, times, 60))
        t.start()
        t0 = time.monotonic()
        m = dnsq.ask(r.addr, "www.spoof.fault.", "A", timeout=args.ms / 1000 + 10)
        dt = time.monotonic() - t0
        time.sleep(max(0.5, args.ms / 1000 - dt + 0.5))  # the flood's end, for its count
        stop.set()
        t.join(timeout=10)
        after = procs.rss_kib(r.proc.pid)
        found = traces.traces_for(r.trace_log, "www.spoof.fault.", "A")
        tr = found[-1] if found else []
        if not found:
            print("no trace of the query in the trace log; the daemon said: %s" % [
                x for x in r.stderr().splitlines() if "trace log" in x])
        rej = traces.events(tr, "reply", kind="rejected")
        size = sum(len(json.dumps(e)) + 1 for e in tr)
        more = rej[-1].get("rejected_not_listed", 0) if rej else 0
        sent = [x for x in srv.stderr().splitlines() if x.startswith("junk sent")]
        print("%s; answer %s after %.2f s; %d rejected replies listed, %d more counted; trace "
              "%d bytes; RSS %d -> %d kB; probe answers %d, longest %.1f ms"
              % (sent[-1] if sent else "junk sent ?", dnsq.addrs(m), dt, len(rej), more, size,
                 before, after, len(times), max(times or [0]) * 1000))
        r.stop()
    finally:
        lab.stop()


if __name__ == "__main__":
    main()
