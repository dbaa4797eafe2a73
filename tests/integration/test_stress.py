"""Load with operations: rootwalkd under UDP and TCP query load (dnsperf, a mix of cached,
uncached, nonexistent and failing names) while the control socket flushes, traces, dumps and
reloads and SIGHUP reopens the trace log. Nothing may be lost, nothing may crash, and the
sanitizers (the fixture checks the daemon's stderr when it stops) must stay quiet.

The same with 2 and 4 worker threads (num-threads), which share one cache while the control
socket flushes it and a reload reaches every worker: under the ASan build in the normal suite,
and under the TSan build (tests/run_all.sh runs `-k workers` against build-tsan's rootwalkd),
where any "WARNING: ThreadSanitizer" in the daemon's output fails the test.

Bounded: each dnsperf runs for a fixed time at a fixed number of queries in flight; the control
loop runs for a fixed time and count."""

import os
import random
import re
import shutil
import signal
import subprocess
import time

import pytest

from rwlab import LabError, control, dnsq, resolvers, zonefiles



RUN_S = 6


def query_file(tmp_path):
    questions = [" ".join(q) for q in zonefiles.questions()]
    rnd = random.Random(20261126)
    lines = []
    for _ in range(5000):
        r = rnd.random()
        if r < 0.6:
            lines.append(rnd.choice(questions))
        elif r < 0.85:
            lines.append("rnd%d.video-platform.com A" % rnd.randint(0, 2000))
        elif r < 0.95:
            lines.append("x%d.nope%d.com AAAA" % (rnd.randint(0, 300), rnd.randint(0, 30)))
        else:
            lines.append("www.%s.fault A" % rnd.choice(["allsilent", "lame", "tc", "loop"]))
    path = tmp_path / "queries.txt"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def under_tsan():
    """Is the daemon under test the ThreadSanitizer build (tests/run_all.sh's build-tsan)? It
    answers several times slower, more so with several workers: dnsperf then waits up to 10 s
    for an answer instead of 3 (every query must still be answered)."""
    try:
        with open(resolvers.rootwalkd_binary(), "rb") as f:
            return b"__tsan_init" in f.read()
    except (OSError, LabError):
        return False


def dnsperf(addr, path, tcp=False, clients=1):
    """clients: dnsperf's sockets (UDP) or connections (TCP); the kernel spreads them over the
    workers' SO_REUSEPORT listeners by their source port, so one client reaches one worker."""
    cmd = ["dnsperf", "-s", addr, "-d", path, "-l", str(RUN_S), "-q", "100",
           "-t", "10" if under_tsan() else "3", "-c", str(clients)]
    if tcp:
        cmd += ["-m", "tcp"]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def counts(out):
    sent = re.search(r"Queries sent:\s+(\d+)", out)
    lost = re.search(r"Queries lost:\s+(\d+)", out)
    assert sent and lost, out
    return int(sent.group(1)), int(lost.group(1))


def load_with_operations(r, sock, tmp_path, clients=1):
    """UDP and TCP dnsperf (clients sockets and connections) for RUN_S seconds while the
    control socket (sock) flushes, traces, dumps and reloads and SIGHUP reopens the trace log;
    then nothing lost, and r still answers. Returns the number of queries dnsperf sent."""
    path = query_file(tmp_path)
    cli = control.cli_path()
    udp = dnsperf(r.addr, path, clients=clients)
    tcp = dnsperf(r.addr, path, tcp=True, clients=clients)
    commands = [["flush-all"], ["flush", "video-platform.com", "--subtree"], ["stats"],
                ["dump-cache"], ["trace", "www.video-platform.com", "--fresh"], ["reload"]]
    done = 0
    deadline = time.monotonic() + RUN_S - 1
    while time.monotonic() < deadline and done < 300:
        for c in commands:
            p = subprocess.run([cli, "-s", sock, "-t", "5"] + c, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True, timeout=15)
            assert p.returncode == 0, "rootwalk %s: %s" % (" ".join(c), p.stderr)
            done += 1
        r.proc.send_signal(signal.SIGHUP)
        time.sleep(0.1)
    total = 0
    for name, p in (("udp", udp), ("tcp", tcp)):
        out = p.communicate(timeout=RUN_S + 30)[0]
        sent, lost = counts(out)
        assert sent > 1000, "%s: only %d queries sent:\n%s" % (name, sent, out)
        assert lost == 0, "%s: %d of %d queries lost:\n%s" % (name, lost, sent, out)
        total += sent
    assert done >= 12, "only %d control commands ran" % done
    m = dnsq.ask(r.addr, "www.video-platform.com.", "A")
    assert m.rcode() == 0 and m.answer
    assert r.proc.poll() is None, "rootwalkd died:\n" + r.stderr()[-3000:]
    return total


def need_dnsperf():
    if not shutil.which("dnsperf"):
        pytest.skip("dnsperf is not installed")


def test_load_with_flushes_traces_and_reloads(start_rootwalkd, tmp_path):
    need_dnsperf()
    sock = str(tmp_path / "ctl.sock")
    r = start_rootwalkd(extra="num-threads: 1\ncontrol-socket: %s\n" % sock)
    load_with_operations(r, sock, tmp_path)


def thread_cpu(pid):
    """{thread id: user + system clock ticks} of every thread of pid."""
    out = {}
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[int(tid)] = int(fields[11]) + int(fields[12])  # utime, stime
    return out


def per_thread_queries(lines):
    """The client queries (UDP + TCP) each worker answered, from `stats per-thread` lines
    ("thread.NAME.client.queries.udp: N"); the main loop's control resolver left out."""
    per = {}
    for line in lines:
        m = re.match(r"thread\.([^.]+)\.client\.queries\.(udp|tcp): (\d+)$", line)
        if m and m.group(1) != "main":
            per[m.group(1)] = per.get(m.group(1), 0) + int(m.group(3))
    return [per[k] for k in sorted(per)]


@pytest.mark.parametrize("workers", [2, 4])
def test_load_with_workers(start_rootwalkd, tmp_path, workers):
    need_dnsperf()
    sock = str(tmp_path / "ctl.sock")
    r = start_rootwalkd(extra="num-threads: %d\ncontrol-socket: %s\n" % (workers, sock))
    before = thread_cpu(r.proc.pid)
    load_with_operations(r, sock, tmp_path, clients=4 * workers)
    after = thread_cpu(r.proc.pid)
    # The load was spread over the workers: each has its own listeners (SO_REUSEPORT), so at
    # least `workers` threads of the daemon worked during it (the main thread, which serves
    # the control socket, may be one more).
    busy = [t for t in after if after[t] - before.get(t, 0) > 0]
    assert len(busy) >= workers, "%d of %d threads used CPU: %s" % (len(busy), len(after), {
        t: after[t] - before.get(t, 0) for t in after})
    # Each worker answered: the per-thread stats show every one with client queries.
    per = control.request(sock, "stats per-thread")
    answered = per_thread_queries(per)
    assert len(answered) == workers and all(n > 0 for n in answered), "\n".join(per)
