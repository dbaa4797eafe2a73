"""rootwalkd's log (issue 13): the line format on standard error with and without journald,
verbosity, logfile: with its reopening on SIGHUP and reload, and log-servfail's lines.

Each test starts its own rootwalkd in the lab. Every wait is bounded."""

import os
import socket
import re
import signal
import stat
import subprocess
import time

import dns.rcode

from rwlab import dnsq, resolvers

SLOW = 8
STAMPED = re.compile(r"^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3})Z\] rootwalkd\[(\d+)\]: "
                     r"(error|warning|notice|info|debug): (.*)$")


def wait_for(fn, timeout=10.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError("timed out waiting for %s" % what)


def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


def log_lines(text):
    """The lines of a log, less sanitizer output (checked by conftest)."""
    return [l for l in text.splitlines() if l and not l.startswith(("==", "    #"))]


def test_stderr_lines_have_time_pid_and_level(start_rootwalkd):
    r = start_rootwalkd()
    wait_for(lambda: "started" in r.stderr(), what="the start line")
    lines = log_lines(r.stderr())
    assert lines, r.stderr()
    for l in lines:
        m = STAMPED.match(l)
        assert m, "not '[TIME] rootwalkd[PID]: LEVEL: MESSAGE': %r" % l
        assert int(m.group(2)) == r.proc.pid, l
        # the time is UTC now, to within a minute
        t = time.mktime(time.strptime(m.group(1)[:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone
        assert abs(t - time.time()) < 60, l
    assert any(l.endswith("info: listening on %s@53 (udp, tcp)" % r.addr) for l in lines), lines


def journal_wrapper(tmp_path, journal_value):
    """A script that runs rootwalkd with JOURNAL_STREAM set: "match" to the device and inode of
    its own standard error, as systemd does, or a literal value."""
    w = tmp_path / "with-journal-stream"
    real = resolvers.rootwalkd_binary()
    if journal_value == "match":
        value = '$(stat -L -c %d:%i /proc/self/fd/2)'
    else:
        value = journal_value
    w.write_text("#!/bin/sh\nJOURNAL_STREAM=%s exec %s \"$@\"\n" % (value, real))
    w.chmod(w.stat().st_mode | stat.S_IXUSR)
    return str(w)


def test_journald_lines_have_priority_and_no_time(the_lab, tmp_path):
    """With JOURNAL_STREAM naming standard error's device and inode, each line is
    "<PRIO>message": journald reads the priority and adds the time itself."""
    r = the_lab.start_rootwalkd(addr="127.0.0.240", binary=journal_wrapper(tmp_path, "match"),
                               name="journal")
    try:
        wait_for(lambda: "started" in r.stderr(), what="the start line")
        r.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: "reloaded" in r.stderr(), what="the reload line")
    finally:
        r.stop()
    lines = log_lines(r.stderr())
    assert "<6>listening on %s@53 (udp, tcp)" % r.addr in lines, lines
    assert "<6>received SIGHUP: reloading %s" % r.conf in lines, lines
    for l in lines:
        assert re.match(r"^<[0-7]>[^\[]", l), "not '<PRIO>message': %r" % l


def test_journal_stream_of_another_file_keeps_the_time(the_lab, tmp_path):
    """A JOURNAL_STREAM inherited by a process whose standard error went elsewhere names
    another stream: the lines keep their time."""
    st = os.stat("/dev/null")
    r = the_lab.start_rootwalkd(addr="127.0.0.241",
                                binary=journal_wrapper(tmp_path, "%d:%d" % (st.st_dev,
                                                                           st.st_ino)),
                                name="notjournal")
    try:
        wait_for(lambda: "started" in r.stderr(), what="the start line")
    finally:
        r.stop()
    lines = log_lines(r.stderr())
    assert lines and all(STAMPED.match(l) for l in lines), lines


def test_verbosity_0_logs_errors_only(start_rootwalkd, tmp_path):
    """verbosity 0: no operational lines; an error still shows (a reload of a broken file)."""
    r = start_rootwalkd(extra="verbosity: 0\n")
    dnsq.ask(r.addr, "video-platform.com.", "A", timeout=SLOW)
    with open(r.conf, "a") as f:
        f.write("cache-max-ttl: banana\n")
    r.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: "reload refused" in r.stderr(), what="the refusal")
    lines = log_lines(r.stderr())
    assert all(STAMPED.match(l).group(3) in ("error", "warning") for l in lines), lines
    assert not [l for l in lines if "started" in l or "listening" in l], lines
    assert any("error: reload refused: %s:" % r.conf in l and "cache-max-ttl" in l
               for l in lines), lines


def test_verbosity_1_and_2(start_rootwalkd, tmp_path):
    """verbosity 1 (the default) logs operational lines but not debug ones; 2 adds them (a
    log file opened)."""
    for v, debug in ((1, False), (2, True)):
        log = tmp_path / ("v%d.log" % v)
        r = start_rootwalkd(extra="verbosity: %d\nlogfile: %s\n" % (v, log))
        r.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: "reloaded" in read(log), what="the reload line")
        lines = log_lines(read(log))
        assert any(l.endswith("info: received SIGHUP: reloading %s" % r.conf) for l in lines)
        # opened at the start and again at the reload
        opened = [l for l in lines if "debug: log to %s at verbosity 2" % log in l]
        assert len(opened) == (2 if debug else 0), lines
        assert all(STAMPED.match(l) for l in lines), lines
        r.stop()


def test_verbosity_3_logs_each_resolution(start_rootwalkd):
    """verbosity 3: a query-level line (debug priority) for each resolution: the rcode, the
    question, the answer records, the upstream queries and the time; none at 2."""
    r2 = start_rootwalkd(extra="verbosity: 2\n")
    r3 = start_rootwalkd(extra="verbosity: 3\n")
    for r in (r2, r3):
        assert dnsq.ask(r.addr, "video-platform.com.", "A", timeout=SLOW).rcode() == 0
        assert dnsq.ask(r.addr, "c12-1.example.org.", "A", timeout=SLOW).rcode() == 2
    ok = wait_for(lambda: [l for l in log_lines(r3.stderr())
                           if "NOERROR video-platform.com. A IN" in l], what="the NOERROR line")
    assert re.search(r"debug: NOERROR video-platform\.com\. A IN: [1-9][0-9]* answer records? "
                     r"\(\d+ upstream quer(y|ies), \d+ ms\)$", ok[0]), ok
    fail = wait_for(lambda: [l for l in log_lines(r3.stderr()) if "SERVFAIL c12-1" in l],
                    what="the SERVFAIL line")
    assert re.search(r"debug: SERVFAIL c12-1\.example\.org\. A IN: limit: limit "
                     r"max-cname-chain \(11\)", fail[0]), fail
    r2.stop()
    assert not [l for l in log_lines(r2.stderr()) if " IN: " in l], r2.stderr()


def start_ctl_logging(start_ctl, log):
    """start_ctl with logfile: log; the daemon says it listens on its socket in the file."""
    c = start_ctl(extra="logfile: %s\n" % log, wait=False)
    wait_for(lambda: "control socket %s (" % c.sock in read(log), what="the control socket")
    return c


def test_logfile_and_reopen(start_ctl, tmp_path):
    """logfile: the lines go to the file (not to stderr); after the file is moved away (log
    rotation), SIGHUP and `rootwalk reload` each open it again at its path."""
    log = tmp_path / "rootwalkd.log"
    c = start_ctl_logging(start_ctl, log)
    wait_for(lambda: "started" in read(log), what="the start line in the file")
    assert not log_lines(c.r.stderr()), c.r.stderr()
    os.rename(log, str(log) + ".1")
    c.r.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: "reloaded %s" % c.r.conf in read(log), what="a new file after SIGHUP")
    assert "received SIGHUP" in read(str(log) + ".1")
    os.rename(log, str(log) + ".2")
    out = c.ok("reload")
    assert out.startswith("reloaded")
    wait_for(lambda: "reloaded %s" % c.r.conf in read(log), what="a new file after reload")
    for p in (log, str(log) + ".1", str(log) + ".2"):
        assert all(STAMPED.match(l) for l in log_lines(read(p))), read(p)


def test_logfile_that_cannot_be_opened(the_lab, start_rootwalkd, tmp_path):
    """A log file in a directory that does not exist stops the start, with the reason on
    stderr; at a reload the old log is kept and the reply warns."""
    bad = tmp_path / "nodir" / "x.log"
    r = start_rootwalkd(extra="logfile: %s\n" % bad, wait=False)
    assert r.proc.wait(timeout=10) == 1
    r.stop()
    assert "logfile %s: No such file or directory" % bad in r.stderr(), r.stderr()


def test_reload_to_a_bad_logfile_keeps_the_old(start_ctl, tmp_path):
    log = tmp_path / "good.log"
    c = start_ctl_logging(start_ctl, log)
    with open(c.r.conf) as f:
        text = f.read()
    bad = tmp_path / "nodir" / "x.log"
    with open(c.r.conf, "w") as f:
        f.write(text.replace(str(log), str(bad)))
    out = c.ok("reload")
    assert "warning: logfile %s: No such file or directory (the old log is kept)" % bad in out
    wait_for(lambda: "reloaded %s" % c.r.conf in read(log), what="the reload in the old file")


def servfail_lines(text):
    return [l for l in log_lines(text) if ": SERVFAIL " in l]


def test_log_servfail_names_the_reason(the_lab, start_rootwalkd):
    """log-servfail: yes: one line per SERVFAIL with the question, the class of failure and
    the reason the resolution concluded with (the limit, the zone)."""
    r = start_rootwalkd(extra="log-servfail: yes\nquery-budget: 3000\n")
    m = dnsq.ask(r.addr, "c12-1.example.org.", "A", timeout=SLOW)
    assert m.rcode() == dns.rcode.SERVFAIL
    line = wait_for(lambda: servfail_lines(r.stderr()), what="the SERVFAIL line")
    assert len(line) == 1, line
    assert re.search(r"info: SERVFAIL c12-1\.example\.org\. A IN: limit: "
                     r"limit max-cname-chain \(11\) exceeded", line[0]), line
    with the_lab.silenced("ns.cdnhost.net"):
        m = dnsq.ask(r.addr, "edge.cdnhost.net.", "A", timeout=SLOW)
        assert m.rcode() == dns.rcode.SERVFAIL
        lines = wait_for(lambda: servfail_lines(r.stderr())[1:], what="the second line")
    assert re.search(r"SERVFAIL edge\.cdnhost\.net\. A IN: no_reachable_authority: .*"
                     r"cdnhost\.net\.", lines[0]), lines
    # An answer that is not a failure adds no line.
    assert dnsq.ask(r.addr, "video-platform.com.", "A", timeout=SLOW).rcode() == 0
    time.sleep(0.2)
    assert len(servfail_lines(r.stderr())) == 2


def test_no_servfail_lines_by_default(start_rootwalkd):
    r = start_rootwalkd()
    m = dnsq.ask(r.addr, "c12-1.example.org.", "A", timeout=SLOW)
    assert m.rcode() == dns.rcode.SERVFAIL
    r.stop()
    assert not servfail_lines(r.stderr()), r.stderr()


DEVLOG = """#!/bin/sh
# Run rootwalkd in a private mount namespace whose /dev/log is the test's socket; the rest of
# /dev is bound from the real one.
exec unshare -m sh -c '
set -eu
old=$(mktemp -d)
mount --rbind /dev "$old"
mount -t tmpfs tmpfs /dev
for n in null zero urandom random; do touch /dev/$n; mount --bind "$old/$n" /dev/$n; done
ln -s /proc/self/fd /dev/fd
touch /dev/log
mount --bind "$0" /dev/log
exec "$@"' %s %s "$@"
"""


def test_syslog(the_lab, tmp_path):
    """logfile: syslog: the lines go to syslog(3) (here /dev/log is a socket of the test's, in
    a mount namespace of the daemon's own), facility daemon, each with its priority; nothing
    on stderr."""
    sock_path = str(tmp_path / "log.sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(sock_path)
    s.settimeout(0.2)
    w = tmp_path / "with-dev-log"
    w.write_text(DEVLOG % (sock_path, resolvers.rootwalkd_binary()))
    w.chmod(w.stat().st_mode | stat.S_IXUSR)
    got = []

    def received(text):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not any(text in g for g in got):
            try:
                got.append(s.recv(4096).decode(errors="replace"))
            except socket.timeout:
                pass
        return [g for g in got if text in g]

    r = the_lab.start_rootwalkd(addr="127.0.0.242", binary=str(w), name="syslog",
                                extra="logfile: syslog\n")
    try:
        pid = r.proc.pid
        # LOG_DAEMON (3 << 3) + LOG_INFO (6) = 30
        line = received("listening on 127.0.0.242@53")
        assert line and re.match(r"^<30>.*rootwalkd\[%d\]: listening on " % pid, line[0]), got
        with open(r.conf, "a") as f:
            f.write("cache-max-ttl: banana\n")
        r.proc.send_signal(signal.SIGHUP)
        # LOG_DAEMON + LOG_ERR (3) = 27
        line = received("reload refused")
        assert line and line[0].startswith("<27>"), got
    finally:
        r.stop()
        s.close()
    assert not log_lines(r.stderr()), r.stderr()


def test_control_characters_cannot_forge_lines(start_rootwalkd, tmp_path):
    """A value quoted in a log line (here a control-socket-owner with an escape sequence and a
    carriage return, from the file) is written with '?' for each control character: no
    terminal escape, no forged line."""
    sock = tmp_path / "ctl.sock"
    r = start_rootwalkd(extra="control-socket: %s\ncontrol-socket-owner: \"no\x1b[2Jbody\r"
                        "[2026-01-01T00:00:00.000Z] rootwalkd[1]: info: forged\"\n" % sock,
                        wait=False)
    assert r.proc.wait(timeout=10) != 0
    r.stop()
    err = r.stderr()
    assert "\x1b" not in err and "\r" not in err, repr(err)
    assert "no?[2Jbody?[2026-01-01" in err, err
    assert all(STAMPED.match(l) for l in log_lines(err)), err
