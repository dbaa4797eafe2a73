"""Worker threads over a daemon's life: the root NS set primed again when it expires (RFC 8109 4),
reloads that switch the trace log under load, SIGTERM while reloads and control requests are
under way. Every traffic loop is bounded in count and time."""

import os
import signal
import threading
import time

import pytest

from rwlab import dnsq, traces
from rwlab.traces import brief

from conftest import stops_cleanly


VP = "video-platform.com."


def primings(r):
    return [t for t in traces.traces_for(r.trace_log, ".", "NS")
            if t[0].get("proto") == "internal"]


@pytest.mark.parametrize("n", [1, 2])
def test_root_primed_again_when_it_expires(start_rootwalkd, n):
    """RFC 8109 4: once the primed root NS set has expired (cache-max-ttl: 2), a walk from the
    root hints primes it again, with worker threads as with one (only the main loop's resolver
    primes at startup; a worker that falls back to the hints must still get the set primed)."""
    r = start_rootwalkd(extra="num-threads: %d\ncache-max-ttl: 2\n" % n)
    traces.wait_trace(r.trace_log, ".", "NS")
    assert dnsq.ask(r.addr, VP).rcode() == 0
    time.sleep(3)
    assert len(primings(r)) == 1, [brief(t) for t in primings(r)]
    for i in range(4 * n):  # a client of every worker
        dnsq.ask(r.addr, "www.%s" % VP, timeout=3)
    traces.wait_trace(r.trace_log, ".", "NS", count=2, timeout=5)
    got = primings(r)
    assert len(got) == 2, "%d primings: %s" % (len(got), [brief(t) for t in got])


def blocked_signals(pid, tid):
    with open("/proc/%d/task/%d/status" % (pid, tid)) as f:
        for line in f:
            if line.startswith("SigBlk:"):
                return int(line.split()[1], 16)
    return 0


@pytest.mark.parametrize("n", [2, 4])
def test_signals_are_the_main_threads(start_rootwalkd, n):
    """Every worker thread blocks SIGTERM, SIGINT and SIGHUP (they are the main loop's, as the
    trace sink's thread has them blocked), and the main thread does not."""
    r = start_rootwalkd(extra="num-threads: %d\n" % n)
    assert dnsq.ask(r.addr, VP).rcode() == 0  # the threads run
    pid = r.proc.pid
    want = (1 << (signal.SIGTERM - 1)) | (1 << (signal.SIGINT - 1)) | (1 << (signal.SIGHUP - 1))
    workers = {}
    for tid in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
            name = f.read().strip()
        if name.startswith("rw-worker-"):
            workers[name] = blocked_signals(pid, int(tid))
    assert len(workers) == n, workers
    assert all(m & want == want for m in workers.values()), \
        {k: "%x" % v for k, v in workers.items()}
    assert blocked_signals(pid, pid) & want == 0


def load(addr, stop, results, limit_s=20, limit_n=4000):
    deadline = time.monotonic() + limit_s
    n = 0
    while not stop.is_set() and time.monotonic() < deadline and n < limit_n:
        n += 1
        try:
            m = dnsq.ask(addr, VP if n % 3 else "www." + VP, timeout=2)
            if m.rcode() == 0:
                results["ok"] += 1
            else:
                results["bad"].append(dnsq.show(m))
        except Exception as e:  # noqa: BLE001 - reported by the caller
            results["bad"].append(repr(e))


@pytest.mark.parametrize("n", [2, 4])
def test_reload_switches_trace_log_under_load(start_ctl, tmp_path, n):
    """Reloads that switch trace-log between two files, stderr and off while every worker
    traces cache hits and walks: every reload succeeds, nothing is lost, the daemon stops
    cleanly (no sanitizer report)."""
    c = start_ctl(extra="num-threads: %d\n" % n)
    dnsq.ask(c.r.addr, VP)
    with open(c.r.conf) as f:
        conf = f.read()
    stop = threading.Event()
    results = {"ok": 0, "bad": []}
    threads = [threading.Thread(target=load, args=(c.r.addr, stop, results))
               for _ in range(4)]
    for t in threads:
        t.start()
    logs = [str(tmp_path / "a.log"), "stderr", "off", str(tmp_path / "b.log")]
    try:
        for i in range(12):
            with open(c.r.conf, "w") as f:
                f.write(conf + "trace-log: %s\n" % logs[i % len(logs)])
            out = c.ok("reload")
            assert out.startswith("reloaded"), out
            time.sleep(0.05)
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    assert not results["bad"] and results["ok"] > 20, results
    assert os.path.getsize(str(tmp_path / "a.log")) > 0
    stops_cleanly(c.r)


@pytest.mark.parametrize("n", [2, 4])
def test_sigterm_during_reloads_and_stats(start_ctl, n):
    """SIGHUPs, stats and reloads under way when SIGTERM comes: a clean, quick exit."""
    c = start_ctl(extra="num-threads: %d\n" % n)
    dnsq.ask(c.r.addr, VP)
    stop = threading.Event()
    results = {"ok": 0, "bad": []}
    threads = [threading.Thread(target=load, args=(c.r.addr, stop, results, 10, 1000))
               for _ in range(2)]
    for t in threads:
        t.start()
    try:
        for _ in range(5):
            c.r.proc.send_signal(signal.SIGHUP)
            c.run("stats", "--per-thread")
        for _ in range(3):
            c.r.proc.send_signal(signal.SIGHUP)
        t0 = time.monotonic()
        stops_cleanly(c.r)
        assert time.monotonic() - t0 < 5.0
    finally:
        stop.set()
        for t in threads:
            t.join(30)
