"""Under load, every resource bounded (issue 13): the requests being resolved
(num-queries-per-thread, jostle-timeout), the upstream queries in flight (outgoing-range), the
client TCP connections (incoming-num-tcp, tcp-connections-per-client, an idle timeout that
shrinks as the table fills). Cache hits are answered first, whatever the load.

The slow zone is allsilent.fault. (zones/fault/fault.zone): its two servers, 127.9.2.1 and
127.9.2.2, are sockets this module binds and never reads, so every query to them times out (no
ICMP error either). Every flood is bounded in count and time, and the daemon is stopped by the
fixture that started it.

Every daemon here runs one worker thread (num-threads: 1): the caps tested are per thread (as in
Unbound) and the kernel spreads clients over workers by their ports, so with more workers the
exact counts asserted here would depend on that spread. test_workers.py covers the threads.
"""

import os
import random
import socket
import string
import time

import dns.exception
import dns.flags
import dns.message
import dns.rcode
import pytest

from rwlab import dnsq, faults
from rwlab.dnsq import frame, make_query, read_msg

SILENT = ("127.9.2.1", "127.9.2.2")
CACHED = "video-platform.com."


@pytest.fixture
def silent_zone(fault_tld):
    """allsilent.fault.'s servers: a UDP socket and a TCP listener on each address, never read
    and never accepted."""
    with faults.SilentServers(SILENT):
        yield


def slow_name():
    return "%s.allsilent.fault." % "".join(random.choice(string.ascii_lowercase)
                                           for _ in range(12))


def fds(r):
    return len(os.listdir("/proc/%d/fd" % r.proc.pid))


def flood_udp(addr, n, src="127.0.5.1"):
    """Send n queries for never-cached names in the slow zone, without waiting for answers."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((src, 0))
        for _ in range(n):
            s.sendto(make_query(slow_name()).to_wire(), (addr, 53))


def cached_answers(addr, n):
    """Ask the cached name n times; returns how many NOERROR answers came within 1 s each."""
    good = 0
    for _ in range(n):
        try:
            m = dnsq.ask(addr, CACHED, "A", timeout=1.0)
            good += m.rcode() == dns.rcode.NOERROR and len(m.answer) > 0
        except OSError:
            pass
        except dns.exception.Timeout:
            pass
    return good


def closed_count(conns, timeout):
    """How many of the TCP sockets conns the server has closed (EOF or reset); each waits
    timeout() seconds at most."""
    closed = 0
    for s in conns:
        s.settimeout(timeout())
        try:
            closed += s.recv(10) == b""
        except ConnectionResetError:
            closed += 1
        except socket.timeout:
            pass
    return closed


def test_requests_cap_drops_new_then_jostles_old(start_ctl, silent_zone):
    """num-queries-per-thread: 50. A burst of 200 slow names: 50 are taken and 150 dropped (none
    of the 50 has run 200 ms; those that waited over 10 ms in the socket are counted as stale).
    After 400 ms, 60 more, 10 at a time: 50 take the place of the 50 old ones (jostled,
    unanswered), 10 are dropped. The cached name answers all along, and no query was answered
    SERVFAIL for the load."""
    ctl = start_ctl(extra="num-threads: 1\nnum-queries-per-thread: 50\njostle-timeout: 200\n"
                          "trace-log: off\n")
    addr = ctl.r.addr
    assert cached_answers(addr, 1) == 1
    flood_udp(addr, 200)
    time.sleep(0.2)
    st = ctl.stats()
    assert st["requests.dropped"] + st["requests.stale"] == 150, st
    assert st["requests.jostled"] == 0, st
    assert cached_answers(addr, 10) == 10
    time.sleep(0.4)
    for _ in range(6):  # 10 at a time: fresh, not stale in the socket's queue
        flood_udp(addr, 10)
        time.sleep(0.03)
    time.sleep(0.2)
    st = ctl.stats()
    assert st["requests.jostled"] == 50, st
    assert st["requests.dropped"] + st["requests.stale"] == 160, st
    assert st["requests.in_progress"] <= 50, st
    assert cached_answers(addr, 10) == 10
    assert st["client.servfail"] == 0, st


def test_cached_name_answers_during_flood(start_ctl, silent_zone):
    """A flood of slow names (3,000 over about 3 s) with the default caps: the cached name is
    answered every time, within 1 s, and the requests stay within num-queries-per-thread."""
    ctl = start_ctl(extra="num-threads: 1\ntrace-log: off\n")
    addr = ctl.r.addr
    assert cached_answers(addr, 1) == 1
    good = 0
    for _ in range(30):
        flood_udp(addr, 100)
        good += cached_answers(addr, 1)
        time.sleep(0.05)
    st = ctl.stats()
    assert good == 30, "%d of 30 cached answers during the flood" % good
    assert st["requests.in_progress"] <= 1024, st
    assert st["requests.jostled"] + st["requests.dropped"] > 0, st


def test_outgoing_range_caps_upstream_sockets(start_ctl, silent_zone):
    """outgoing-range: 16. 200 slow names at once: never more than 16 upstream sockets open
    (the daemon's descriptors stay within its baseline + 16), the sends beyond fail at once and
    are counted, and the cached name still answers."""
    ctl = start_ctl(extra="num-threads: 1\noutgoing-range: 16\ntrace-log: off\n")
    addr = ctl.r.addr
    assert cached_answers(addr, 1) == 1
    base = fds(ctl.r)
    flood_udp(addr, 200)
    peak = base
    for _ in range(20):
        peak = max(peak, fds(ctl.r))
        time.sleep(0.02)
    st = ctl.stats()
    assert st["upstream.range_full"] > 0, st
    assert peak <= base + 16, "%d descriptors, %d before the flood" % (peak, base)
    assert cached_answers(addr, 5) == 5


def tcp_hold_slow_query(addr, src):
    """A TCP connection from src that sends one query for a slow name (held, unanswered)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(3)
    s.bind((src, 0))
    s.connect((addr, 53))
    s.sendall(frame(make_query(slow_name()).to_wire()))
    return s


def tcp_ask(addr, src, qname=CACHED, timeout=2.0):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.bind((src, 0))
        s.connect((addr, 53))
        s.sendall(frame(make_query(qname).to_wire()))
        wire = read_msg(s)
        return dns.message.from_wire(wire) if wire else None


def test_tcp_flood_of_slow_queries_legit_client_answered(start_ctl, silent_zone):
    """300 TCP connections from 10 addresses, each holding a query for a slow name, go past
    the cap of 256: the oldest are closed to make room (counted), and a legitimate client
    connecting afterwards is answered."""
    ctl = start_ctl(extra="num-threads: 1\ntrace-log: off\n")
    addr = ctl.r.addr
    assert cached_answers(addr, 1) == 1
    conns = []
    try:
        for i in range(300):
            conns.append(tcp_hold_slow_query(addr, "127.0.6.%d" % (1 + i % 10)))
        time.sleep(0.3)
        m = tcp_ask(addr, "127.0.7.1")
        assert m is not None and m.rcode() == dns.rcode.NOERROR and m.answer
        assert cached_answers(addr, 5) == 5  # UDP unaffected
        st = ctl.stats()
        assert st["tcp.evicted"] >= 300 - 256, st
        assert st["tcp.per_client_refused"] == 0, st
    finally:
        for s in conns:
            s.close()


def test_tcp_connections_per_client(start_ctl, silent_zone):
    """tcp-connections-per-client: 8. 20 connections from one address, each holding a slow
    query: the 12 beyond 8 are closed at once and counted; another address still gets in and
    is answered."""
    ctl = start_ctl(extra="num-threads: 1\ntcp-connections-per-client: 8\ntrace-log: off\n")
    addr = ctl.r.addr
    assert cached_answers(addr, 1) == 1
    conns = []
    try:
        for _ in range(20):
            conns.append(tcp_hold_slow_query(addr, "127.0.8.1"))
        time.sleep(0.3)
        closed = closed_count(conns, lambda: 0.05)
        assert closed == 12, "%d of 20 connections closed" % closed
        assert ctl.stats()["tcp.per_client_refused"] == 12
        m = tcp_ask(addr, "127.0.8.2")
        assert m is not None and m.rcode() == dns.rcode.NOERROR
    finally:
        for s in conns:
            s.close()


def test_tcp_idle_timeout_shrinks_as_table_fills(start_ctl, silent_zone):
    """incoming-num-tcp: 40. 39 idle (slowloris) connections: with the table nearly full their
    idle timeout is no longer 10 s, so when a client connects a second later they are closed
    (the idle timeout is 200 ms when full), and the client is answered."""
    ctl = start_ctl(extra="num-threads: 1\nincoming-num-tcp: 40\ntrace-log: off\n")
    addr = ctl.r.addr
    assert cached_answers(addr, 1) == 1
    idle = []
    try:
        for i in range(39):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.9.%d" % (1 + i % 5), 0))
            s.connect((addr, 53))
            s.sendall(b"\x00")  # a dribbler: one byte of a length prefix, never more
            idle.append(s)
        time.sleep(1.0)
        t0 = time.monotonic()
        m = tcp_ask(addr, "127.0.10.1")
        assert m is not None and m.rcode() == dns.rcode.NOERROR
        closed = closed_count(idle, lambda: max(0.01, 1.0 - (time.monotonic() - t0)))
        assert closed == 39, "%d of 39 idle connections closed within 1 s" % closed
        assert ctl.stats()["tcp.evicted"] == 0
    finally:
        for s in idle:
            s.close()


def tcp_conns_to(addr):
    """TCP connections being made or established (SYN_SENT, ESTABLISHED: not those closed and
    waiting in the kernel) to addr:53, from /proc/net/tcp."""
    a = socket.inet_aton(addr)[::-1].hex().upper() + ":0035"
    n = 0
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            fields = line.split()
            if fields[2] == a and fields[3] in ("01", "02"):
                n += 1
    return n


def test_outgoing_num_tcp_caps_upstream_tcp(start_ctl, fault_tld):
    """outgoing-num-tcp: 4. allsilent.fault.'s first server answers every UDP query truncated
    and never accepts TCP (its backlog fills, later SYNs are dropped): each of 40 slow names
    wants a TCP query, at most 4 are open at once, the others fail at once and are counted."""
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind((SILENT[0], 53))
    u.settimeout(0.2)
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind((SILENT[0], 53))
    t.listen(1)
    silent2 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent2.bind((SILENT[1], 53))
    try:
        ctl = start_ctl(extra="num-threads: 1\noutgoing-num-tcp: 4\ntrace-log: off\n")
        addr = ctl.r.addr
        assert cached_answers(addr, 1) == 1
        flood_udp(addr, 40)
        peak = 0
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:  # answer TC to what comes, for 2 s at most
            try:
                wire, peer = u.recvfrom(4096)
            except socket.timeout:
                wire = None
            if wire:
                q = dns.message.from_wire(wire)
                r = dns.message.make_response(q)
                r.flags |= dns.flags.TC
                u.sendto(r.to_wire(), peer)
            peak = max(peak, tcp_conns_to(SILENT[0]))
        st = ctl.stats()
        assert st["upstream.tcp_retries"] > 4, st
        assert st["upstream.range_full"] > 0, st
        assert 0 < peak <= 4, "%d TCP connections to %s at once" % (peak, SILENT[0])
    finally:
        for s in (u, t, silent2):
            s.close()


def test_descriptor_limit_raised(start_rootwalkd):
    """At start the soft descriptor limit is raised to what outgoing-range (4096) and
    incoming-num-tcp (256) need, with room beside them, as far as the hard limit allows."""
    r = start_rootwalkd(extra="num-threads: 1\ntrace-log: off\n")
    with open("/proc/%d/limits" % r.proc.pid) as f:
        line = [l for l in f if l.startswith("Max open files")][0]
    soft, hard = line.split()[3:5]
    need = 4096 + 256 + 100
    assert soft == "unlimited" or int(soft) >= min(need, int(hard) if hard != "unlimited"
                                                   else need), line


def test_stale_queries_dropped_not_jostled(start_ctl, silent_zone):
    """num-queries-per-thread: 50, jostle-timeout: 0 (any request could be replaced). The daemon
    is stopped while 100 slow names and a cached name queue in its socket; once it runs again,
    the first 50 are taken, the other 50 waited too long in the queue (over 10 ms) to take the
    place of those: they are dropped (requests.stale), none is jostled, and the cached name is
    answered."""
    import signal
    ctl = start_ctl(extra="num-threads: 1\nnum-queries-per-thread: 50\njostle-timeout: 0\ntrace-log: off\n")
    addr = ctl.r.addr
    assert cached_answers(addr, 1) == 1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.settimeout(3)
        os.kill(ctl.r.proc.pid, signal.SIGSTOP)
        try:
            flood_udp(addr, 100)
            q = make_query(CACHED)
            probe.sendto(q.to_wire(), (addr, 53))
            time.sleep(0.1)
        finally:
            os.kill(ctl.r.proc.pid, signal.SIGCONT)
        m = dns.message.from_wire(probe.recv(65535))
    assert m.id == q.id and m.rcode() == dns.rcode.NOERROR and m.answer
    time.sleep(0.1)
    st = ctl.stats()
    assert st["requests.stale"] == 50, st
    assert st["requests.jostled"] == 0, st
    assert st["requests.in_progress"] <= 50, st
