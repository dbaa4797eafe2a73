"""Load with operations: rootwalkd under UDP and TCP query load (dnsperf, a mix of cached,
uncached, nonexistent and failing names) while the control socket flushes, traces, dumps and
reloads and SIGHUP reopens the trace log. Nothing may be lost, nothing may crash, and the
sanitizers (the fixture checks the daemon's stderr when it stops) must stay quiet.

Bounded: each dnsperf runs for a fixed time at a fixed number of queries in flight; the control
loop runs for a fixed time and count."""

import random
import re
import shutil
import signal
import subprocess
import time

import pytest

from rwlab import control, dnsq, zonefiles



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


def dnsperf(addr, path, tcp=False):
    cmd = ["dnsperf", "-s", addr, "-d", path, "-l", str(RUN_S), "-q", "100", "-t", "3"]
    if tcp:
        cmd += ["-m", "tcp"]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def counts(out):
    sent = re.search(r"Queries sent:\s+(\d+)", out)
    lost = re.search(r"Queries lost:\s+(\d+)", out)
    assert sent and lost, out
    return int(sent.group(1)), int(lost.group(1))


def test_load_with_flushes_traces_and_reloads(start_rootwalkd, tmp_path):
    if not shutil.which("dnsperf"):
        pytest.skip("dnsperf is not installed")
    sock = str(tmp_path / "ctl.sock")
    r = start_rootwalkd(extra="control-socket: %s\n" % sock)
    path = query_file(tmp_path)
    cli = control.cli_path()
    udp, tcp = dnsperf(r.addr, path), dnsperf(r.addr, path, tcp=True)
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
    for name, p in (("udp", udp), ("tcp", tcp)):
        out = p.communicate(timeout=RUN_S + 30)[0]
        sent, lost = counts(out)
        assert sent > 1000, "%s: only %d queries sent:\n%s" % (name, sent, out)
        assert lost == 0, "%s: %d of %d queries lost:\n%s" % (name, lost, sent, out)
    assert done >= 12, "only %d control commands ran" % done
    m = dnsq.ask(r.addr, "www.video-platform.com.", "A")
    assert m.rcode() == 0 and m.answer
    assert r.proc.poll() is None, "rootwalkd died:\n" + r.stderr()[-3000:]
