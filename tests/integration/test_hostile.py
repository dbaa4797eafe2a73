"""Hostile inputs found by a red-team run (issue 13): junk replies that grew a query's trace
without bound, dump-cache clients that do not read, a symbolic link swapped in for the control
socket before a reload, control connections that trickle bytes to hold every slot, and trace
logs that fail (a full disk, a FIFO without a reader)."""

import collections
import json
import os
import signal
import socket
import stat
import tempfile
import threading
import time

import pytest

from conftest import _next_addr, _stop_and_check, need_rootwalkd
from rwlab import ROOT_HINTS, control, dnsq, procs, resolvers, traces

VP = "video-platform.com."


def rss_kb(pid):
    kib = procs.rss_kib(pid)
    assert kib is not None, "no VmRSS for %d" % pid
    return kib


def status(c):
    return dict(x.split(": ", 1) for x in c.ok("status").splitlines())


@pytest.fixture
def own_rootwalkd(the_lab):
    """Factory: a rootwalkd with a trace log at a path of the test's choosing (trace_log) and a
    control socket; returns a control.Control. Stopped (and checked for sanitizer output) after
    the test."""
    need_rootwalkd()
    started = []

    def start(trace_log, extra="", wait=True, env=None):
        d = tempfile.mkdtemp(prefix="hostile-", dir=the_lab.tmp)
        addr = "127.0.0.%d" % _next_addr[0]
        _next_addr[0] += 1
        binary = resolvers.rootwalkd_binary()
        sock = os.path.join(d, "ctl.sock")
        conf = resolvers.rootwalkd_conf(
            addr, ROOT_HINTS, trace_log, "json",
            the_lab.rootwalkd_dnssec(binary) + "control-socket: %s\n%s" % (sock, extra),
            by="test_hostile")
        r = resolvers.start_rootwalkd(d, conf, addr, binary=binary, wait=False, env=env)
        the_lab.resolvers.append(r)
        started.append(r)
        if wait:
            resolvers.wait_ready(r)
            control.wait_socket(r, sock)
        return control.Control(r, sock)

    yield start
    for r in started:
        _stop_and_check(r)


# -- junk replies -------------------------------------------------------------------------------

def test_junk_flood_keeps_the_trace_bounded(fault_servers, start_rootwalkd):
    """A server floods junk replies (20,000 at most, within 300 ms) from its own address while
    a query waits: the trace lists the first 16 rejected replies and then says how many more
    came; the trace and the daemon's memory stay small, and the real answer is served."""
    srv = fault_servers("127.9.3.1", "spoof.fault.", mode="junk-flood", junk_count=20000,
                        junk_max_ms=300)
    r = start_rootwalkd()
    before = rss_kb(r.proc.pid)
    m = dnsq.ask(r.addr, "www.spoof.fault.", "A", timeout=10)
    assert dnsq.addrs(m) == ["192.0.2.1"], m
    t = traces.nth(r.trace_log, "www.spoof.fault.", "A", index=-1)
    rej = traces.events(t, "reply", kind="rejected")
    size = sum(len(json.dumps(e)) for e in t)
    after = rss_kb(r.proc.pid)
    assert "junk sent" in srv.stderr(), srv.stderr()[-2000:]
    assert len(rej) == 16, "%d rejected replies listed" % len(rej)
    more = rej[-1].get("rejected_not_listed", 0)
    assert more >= 100, "the last one listed says %r more" % more
    assert size < 64 * 1024, "trace of %d bytes" % size
    assert after - before < 16 * 1024, "RSS grew from %d to %d kB" % (before, after)
    print("junk flood: %d more rejected replies counted, trace %d bytes, RSS %d -> %d kB"
          % (more, size, before, after))


# -- dump-cache -----------------------------------------------------------------------------------

def fill_cache(addr, n, batch=200, first=0):
    """Put about n NXDOMAIN entries in the cache: names h<first>... that do not exist under
    unsigned.com. (asked in batches over one UDP socket). Returns how many were answered."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    answered = 0
    try:
        for start in range(0, n, batch):
            for i in range(start, min(n, start + batch)):
                q = dnsq.make_query("h%d.unsigned.com." % (first + i), "A")
                s.sendto(q.to_wire(), (addr, 53))
            for i in range(start, min(n, start + batch)):
                try:
                    s.recv(4096)
                    answered += 1
                except socket.timeout:
                    break
    finally:
        s.close()
    return answered


def test_dump_cache_clients_that_do_not_read(own_rootwalkd):
    """15 clients ask for dump-cache of a cache of 6,000 entries and read nothing: the daemon
    sends each a part at a time, so its memory hardly grows, it keeps answering, and a client
    that reads (the 16th) gets the whole dump, every line once."""
    # Under AddressSanitizer, freed memory waits in a quarantine (RSS would count every part
    # ever made): without it, RSS follows the memory in use.
    asan = os.environ.get("ASAN_OPTIONS", "") + ":quarantine_size_mb=0"
    c = own_rootwalkd("off", extra="dnssec: no\naggressive-nsec: no\n",
                      env={"ASAN_OPTIONS": asan})
    got = fill_cache(c.r.addr, 6000)
    assert got > 5000, got
    base = rss_kb(c.r.proc.pid)
    socks = []
    try:
        for _ in range(15):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.connect(c.sock)
            s.sendall(b"dump-cache\n")
            socks.append(s)
        time.sleep(1.0)
        m, dt = dnsq.ask_timed(c.r.addr, VP, "A", timeout=5)
        assert m is not None
        held = rss_kb(c.r.proc.pid)
        out = c.ok("dump-cache").splitlines()
    finally:
        for s in socks:
            s.close()
    assert held - base < 12 * 1024, "RSS %d -> %d kB with 15 dumps unread" % (base, held)
    n = int(out[-1].split()[1])
    assert n == len(out) - 1 >= got, (n, len(out), got)
    assert len(set(out[:-1])) == len(out) - 1, "a line listed twice"
    print("15 unread dumps of %d entries: RSS %d -> %d kB; probe answered in %.1f ms"
          % (n, base, held, dt * 1000))


def stored_at(dump):
    """The entries of a dump-cache text (the count line left out): their key (owner, type and
    kind) to when each was stored."""
    out = {}
    for x in dump.splitlines()[:-1]:
        key, rest = x.split(" ttl=", 1)
        out[key] = rest.split(" stored=", 1)[1].split()[0]
    return out


def test_dump_cache_while_the_cache_changes(own_rootwalkd):
    """Entries stored during a slow dump do not break it: every entry cached before the dump
    started is listed exactly once, and the count line matches the lines."""
    c = own_rootwalkd("off", extra="dnssec: no\naggressive-nsec: no\n")
    fill_cache(c.r.addr, 3000)
    before = stored_at(c.ok("dump-cache"))
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(10)
    s.connect(c.sock)
    s.sendall(b"dump-cache\n")
    data = b""
    added = 0
    deadline = time.monotonic() + 30
    try:
        while not data.endswith(b"\n.\n") and time.monotonic() < deadline:
            data += s.recv(2048)
            if added < 3000:  # store more entries between the parts
                fill_cache(c.r.addr, 100, batch=100, first=10000 + added)
                added += 100
    finally:
        s.close()
    assert data.endswith(b"\n.\n"), data[-200:]
    lines = data.decode().split("\n")
    assert lines[0] == "ok"
    body = [x[1:] if x.startswith(".") else x for x in lines[1:-3]]  # dot-stuffing
    keys = [x.split(" ttl=")[0] for x in body]
    assert int(lines[-3].split()[1]) == len(body), lines[-3]
    # An entry stored again during the dump (a referral asked again when the machine is slow
    # enough for a timeout) is a new entry: it may or may not be listed. The others must be.
    after = stored_at(c.ok("dump-cache"))
    missing = [k for k in set(before) - set(keys) if after.get(k) == before[k]]
    assert not missing, "%d entries cached before the dump are missing: %s" % (
        len(missing), missing[:5])
    counts = collections.Counter(keys)
    dup = [k for k in before if counts[k] > 1]
    assert not dup, dup[:5]
    assert added >= 1000, "only %d entries were stored during the dump" % added


# -- the control socket -------------------------------------------------------------------------

def test_reload_does_not_follow_a_link_swapped_in_for_the_socket(start_ctl):
    """Whoever can write the socket's directory replaces the socket with a link to another file
    before a reload: the file keeps its mode, and the daemon says why it left it alone."""
    c = start_ctl(extra="control-socket-mode: 0666\n")
    victim = os.path.join(os.path.dirname(c.sock), "victim")
    with open(victim, "w") as f:
        f.write("secret\n")
    os.chmod(victim, 0o600)
    os.rename(c.sock, c.sock + ".moved")
    os.symlink(victim, c.sock)
    # the reload asks for another mode (an unchanged one leaves the socket file alone)
    with open(c.r.conf) as f:
        conf = f.read()
    assert "control-socket-mode: 0666" in conf, conf
    with open(c.r.conf, "w") as f:
        f.write(conf.replace("control-socket-mode: 0666", "control-socket-mode: 0660"))
    try:
        c.r.proc.send_signal(signal.SIGHUP)
        procs.wait_for(lambda: "reloaded " in c.r.stderr(), timeout=5, proc=c.r.proc,
                       what="the reload")
        assert stat.S_IMODE(os.stat(victim).st_mode) == 0o600
        assert "no longer the socket" in c.r.stderr(), c.r.stderr()[-2000:]
    finally:
        os.unlink(c.sock)
        os.rename(c.sock + ".moved", c.sock)


def trickle(sock_path, n, seconds, stop):
    """n connections that each send one byte a second (a request never finished); returns the
    sockets and the threads that feed them."""
    socks = []
    for _ in range(n):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(sock_path)
        socks.append(s)

    def feed():
        end = time.monotonic() + seconds
        while time.monotonic() < end and not stop.is_set():
            for s in socks:
                try:
                    s.send(b"s")
                except OSError:
                    pass
            stop.wait(1.0)

    t = threading.Thread(target=feed, daemon=True)
    t.start()
    return socks, t


def test_trickling_connections_do_not_lock_the_admin_out(start_ctl):
    """16 connections (the cap) trickle one byte a second: a new `rootwalk status` still gets
    its answer at once, and the tricklers are closed within a few seconds of their first
    byte (a request must be complete in 5 s)."""
    c = start_ctl()
    stop = threading.Event()
    socks, t = trickle(c.sock, 16, 9, stop)
    try:
        time.sleep(1.5)
        p = c.run("status", timeout=5)
        assert p.returncode == 0, p.stdout + p.stderr
        assert "pid: %d" % c.r.proc.pid in p.stdout
        # every trickler is closed by the daemon within about 5 s of its first byte
        closed = 0
        for s in socks:
            s.settimeout(8)
            try:
                while s.recv(1024):
                    pass
                closed += 1
            except (socket.timeout, OSError):
                pass
        assert closed == 16, "%d of 16 trickling connections were closed" % closed
        assert c.run("status", timeout=5).returncode == 0
    finally:
        stop.set()
        t.join(timeout=5)
        for s in socks:
            s.close()


# -- trace log failures ------------------------------------------------------------------------

def test_trace_log_write_errors_are_counted(own_rootwalkd):
    """A trace log on a full disk (/dev/full: every write fails with ENOSPC): each trace is
    counted as dropped, and the failure is logged once."""
    c = own_rootwalkd("/dev/full")
    for i in range(20):
        dnsq.ask(c.r.addr, VP, "A")
    procs.wait_for(lambda: int(status(c)["trace-log-dropped"]) >= 20, timeout=5,
                   proc=c.r.proc, what="20 traces counted as dropped")
    err = c.r.stderr()
    assert err.count("writing trace log /dev/full") == 1, err[-2000:]


def fifo_reader(path):
    return os.open(path, os.O_RDONLY | os.O_NONBLOCK)


def read_some(fd):
    try:
        return os.read(fd, 1 << 20)
    except BlockingIOError:
        return b""


def test_fifo_trace_log_without_a_reader(own_rootwalkd, the_lab):
    """A FIFO as the trace log: the daemon starts without a reader (dropping and counting
    traces), a reader that comes later gets the traces from then on, and when it leaves a
    reload still succeeds and traces are counted as dropped again."""
    d = tempfile.mkdtemp(prefix="fifo-", dir=the_lab.tmp)
    fifo = os.path.join(d, "traces")
    os.mkfifo(fifo)
    c = own_rootwalkd(fifo)
    dnsq.ask(c.r.addr, VP, "A")
    procs.wait_for(lambda: int(status(c)["trace-log-dropped"]) >= 1, timeout=5, proc=c.r.proc,
                   what="a trace counted as dropped without a reader")
    fd = fifo_reader(fifo)
    got = b""
    try:
        deadline = time.monotonic() + 5
        while b'"ev":"done"' not in got and time.monotonic() < deadline:
            dnsq.ask(c.r.addr, "mail." + VP, "A")
            time.sleep(0.15)
            got += read_some(fd)
        assert b'"qname":"mail.video-platform.com."' in got, got[-500:]
        err = c.r.stderr()
        assert err.count("a FIFO without a reader; dropping traces") == 1, err[-2000:]
        assert "trace log %s: writing again; " % fifo in err, err[-2000:]
    finally:
        os.close(fd)
    dropped = int(status(c)["trace-log-dropped"])
    for _ in range(5):
        dnsq.ask(c.r.addr, VP, "A")
        time.sleep(0.05)
    procs.wait_for(lambda: int(status(c)["trace-log-dropped"]) > dropped, timeout=5,
                   proc=c.r.proc, what="traces counted as dropped after the reader left")
    assert "trace log %s: the reader left" % fifo in c.r.stderr(), c.r.stderr()[-2000:]
    out = c.ok("reload")
    assert "reloaded" in out, out
    c.r.proc.send_signal(signal.SIGHUP)
    procs.wait_for(lambda: c.r.stderr().count("reloaded ") >= 2, timeout=5, proc=c.r.proc,
                   what="the SIGHUP reload")
    assert "reload refused" not in c.r.stderr(), c.r.stderr()[-2000:]
    fd = fifo_reader(fifo)
    got = b""
    try:
        deadline = time.monotonic() + 5
        while b"www.video-platform.com." not in got and time.monotonic() < deadline:
            dnsq.ask(c.r.addr, "www." + VP, "A")
            time.sleep(0.15)
            got += read_some(fd)
        assert b"www.video-platform.com." in got, "no trace after the reload"
    finally:
        os.close(fd)
