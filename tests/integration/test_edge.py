"""The daemon's edge (src/daemon/server.c, upstream.c, main.c) under clients that misbehave:
TCP pipelining and backpressure, frames split into single bytes, zero-length and garbage frames,
half-closed and reset connections, idle and byte-dribbling connections, the connection cap,
random datagrams, SIGHUP reopening the trace log, and SIGTERM with work still queued.

Adopted from the edge helper's stand-alone checks (edge_test.py). Limits tested here are the
server's defaults: 256 TCP connections, 32 queries in flight per connection, 10 s idle timeout
(shorter as the connection table fills: test_load.py).
"""

import os
import random
import signal
import socket
import struct
import threading
import time

import dns.message
import dns.rcode
import pytest

from rwlab import dnsq, procs, traces
from conftest import still_answers
from rwlab.dnsq import frame, make_query, read_msg, tcp_exchange

MAX_CONNS = 256
IDLE_S = 10.0


def closed_by_peer(s, wait):
    """True if the peer closes (EOF or reset) within wait seconds without sending anything."""
    s.settimeout(wait)
    try:
        return s.recv(10) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def test_tcp_pipelining_matched_by_id(rootwalkd):
    """Ten queries in one write (cold and warm names, an NXDOMAIN, a lame zone): ten replies,
    each matching its query's ID and question, in any order (RFC 7766 6.2.1.1)."""
    names = ["video-platform.com.", "www.video-platform.com.", "www.example.net.",
             "feeds.news.org.", "cdn.video-platform.com.", "nope1.example.org.", "www.lame.com.",
             "shop.com.", "news.org.", "webhost.com."]
    qs = [make_query(n, id_=1000 + i) for i, n in enumerate(names)]
    replies, _ = tcp_exchange(rootwalkd.addr, b"".join(frame(q.to_wire()) for q in qs), wait=10,
                              expect=len(qs))
    got = dict((m.id, m) for m in map(dns.message.from_wire, replies))
    assert sorted(got) == [q.id for q in qs], "replies for IDs %s" % sorted(got)
    for q in qs:
        assert got[q.id].question == q.question, (q.question, got[q.id].question)


def test_tcp_pipelining_past_inflight_cap(rootwalkd):
    """100 cold queries in one write, more than the 32 a connection may have in flight: the
    server stops reading for a while (backpressure) and still answers all of them."""
    qs = [make_query("pipe%d.example.org." % i, id_=i) for i in range(100)]
    replies, _ = tcp_exchange(rootwalkd.addr, b"".join(frame(q.to_wire()) for q in qs), wait=60,
                              expect=len(qs))
    ids = set(struct.unpack("!H", w[:2])[0] for w in replies)
    assert len(ids) == 100, "%d of 100 pipelined queries answered" % len(ids)


def test_tcp_frame_byte_by_byte(rootwalkd):
    """A query whose length prefix and message arrive one byte per segment."""
    with socket.create_connection((rootwalkd.addr, 53), timeout=5) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for b in frame(make_query("video-platform.com.", "TXT").to_wire()):
            s.sendall(bytes([b]))
            time.sleep(0.002)
        w = read_msg(s)
    assert w is not None, "no reply to a query sent byte by byte"
    m = dns.message.from_wire(w)
    assert m.rcode() == dns.rcode.NOERROR and m.answer


def test_tcp_two_frames_split_across_writes(rootwalkd):
    """Two queries cut at odd places: the first write ends inside the second length prefix."""
    a = frame(make_query("mail.video-platform.com.", id_=11).to_wire())
    b = frame(make_query("sip.video-platform.com.", id_=12).to_wire())
    data = a + b
    cut = len(a) + 1
    with socket.create_connection((rootwalkd.addr, 53), timeout=5) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.sendall(data[:5])
        time.sleep(0.05)
        s.sendall(data[5:cut])
        time.sleep(0.05)
        s.sendall(data[cut:])
        got = {}
        for _ in range(2):
            w = read_msg(s)
            assert w is not None, "connection closed after %d replies" % len(got)
            m = dns.message.from_wire(w)
            got[m.id] = [rr.to_text() for rrset in m.answer for rr in rrset]
    assert got == {11: ["203.0.113.25"], 12: ["203.0.113.70"]}, got


def test_tcp_zero_length_frame_closes(rootwalkd):
    """A frame of length 0 cannot hold a DNS message: the connection is closed."""
    with socket.create_connection((rootwalkd.addr, 53), timeout=3) as s:
        s.sendall(b"\x00\x00")
        assert closed_by_peer(s, 3.0), "connection still open after a zero-length frame"
    still_answers(rootwalkd.addr)


def test_tcp_garbage_frame_then_query(rootwalkd):
    """A frame of garbage (FORMERR or nothing), then a good query on the same connection."""
    with socket.create_connection((rootwalkd.addr, 53), timeout=3) as s:
        s.sendall(frame(b"\x12\x34" + b"\x01" * 20) +
                  frame(make_query("video-platform.com.", id_=77).to_wire()))
        replies = []
        for _ in range(2):
            w = read_msg(s)
            if w is None:
                break
            replies.append(w)
    ids = [struct.unpack("!H", w[:2])[0] for w in replies]
    assert 77 in ids, "no answer to the good query after a garbage frame (ids %s)" % ids
    for w in replies:
        if struct.unpack("!H", w[:2])[0] == 0x1234:
            assert w[3] & 0xF == dns.rcode.FORMERR, "garbage frame answered with rcode %d" % (
                w[3] & 0xF)


def test_tcp_half_close_still_answered(rootwalkd):
    """The client shuts down its sending side after the query: the answer still comes, then
    the server closes."""
    with socket.create_connection((rootwalkd.addr, 53), timeout=3) as s:
        s.sendall(frame(make_query("half.example.org.").to_wire()))
        s.shutdown(socket.SHUT_WR)
        w = read_msg(s)
        assert w is not None, "no answer after the client half-closed"
        assert closed_by_peer(s, 3.0), "server did not close after answering"


def test_tcp_reset_with_queries_in_flight(rootwalkd):
    """50 clients send 5 cold queries each and reset the connection at once: no crash, no leak
    (the sanitizers check at exit), and the daemon keeps answering."""
    for i in range(50):
        s = socket.create_connection((rootwalkd.addr, 53), timeout=3)
        s.sendall(b"".join(frame(make_query("gone%d-%d.example.net." % (i, j)).to_wire())
                           for j in range(5)))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
    time.sleep(0.3)
    still_answers(rootwalkd.addr)


def test_tcp_idle_and_dribbling_clients_cut_off(rootwalkd):
    """An idle connection, and one that dribbles a byte every 2 s without ever completing a
    query, are both closed after about 10 s (both measured at once, to keep the test short)."""
    results = {}

    def idle():
        with socket.create_connection((rootwalkd.addr, 53), timeout=3) as s:
            t0 = time.monotonic()
            closed = closed_by_peer(s, IDLE_S + 3)
            results["idle"] = (closed, time.monotonic() - t0)

    def dribble():
        with socket.create_connection((rootwalkd.addr, 53), timeout=3) as s:
            t0 = time.monotonic()
            closed = False
            for b in frame(make_query("video-platform.com.").to_wire())[:12]:
                try:
                    s.sendall(bytes([b]))
                except (BrokenPipeError, ConnectionResetError):
                    closed = True
                    break
                if closed_by_peer(s, 2.0):
                    closed = True
                    break
                if time.monotonic() - t0 > IDLE_S + 3:
                    break
            results["dribble"] = (closed, time.monotonic() - t0)

    threads = [threading.Thread(target=idle), threading.Thread(target=dribble)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(IDLE_S + 8)
    for what in ("idle", "dribble"):
        assert what in results, "%s client did not finish" % what
        closed, dt = results[what]
        assert closed, "%s connection still open after %.1f s" % (what, dt)
        assert IDLE_S - 0.5 < dt < IDLE_S + 2.5, "%s connection closed after %.1f s" % (what, dt)


def test_tcp_connection_cap(rootwalkd):
    """300 connections at once from 10 addresses (tcp-connections-per-client is 32): at most
    256 stay open, a new connection taking the place of the one idle longest (issue 13), so
    the newest are served; afterwards new connections are accepted again."""
    conns = []
    try:
        for i in range(MAX_CONNS + 44):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.settimeout(3)
            s.bind(("127.0.11.%d" % (1 + i % 10), 0))
            s.connect((rootwalkd.addr, 53))
            conns.append(s)
        time.sleep(0.3)
        served = 0
        wire = frame(make_query("video-platform.com.").to_wire())
        for s in reversed(conns):  # the newest first: they are the ones kept
            try:
                s.sendall(wire)
                if read_msg(s) is not None:
                    served += 1
            except OSError:
                pass
    finally:
        for s in conns:
            s.close()
    assert 0 < served <= MAX_CONNS, "%d of %d connections served" % (served, len(conns))
    deadline = time.monotonic() + 3
    while True:
        try:
            m = dnsq.ask(rootwalkd.addr, "video-platform.com.", "A", tcp=True)
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
    assert m.rcode() == dns.rcode.NOERROR


def test_random_datagrams(rootwalkd):
    """200 random datagrams (half with QR clear, so they look like queries), each from its own
    socket: every reply is a response that echoes the ID; the daemon keeps answering."""
    rng = random.Random(7)
    bad = []
    for batch in range(4):
        socks = []
        try:
            for _ in range(50):
                n = rng.choice([1, 2, 5, 11, 12, 13, 30, 100, 512, 1500])
                wire = bytearray(rng.getrandbits(8) for _ in range(n))
                if n >= 3 and rng.random() < 0.5:
                    wire[2] &= 0x7F
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                socks.append((s, bytes(wire)))
                s.sendto(bytes(wire), (rootwalkd.addr, 53))
            time.sleep(0.2)
            for s, wire in socks:
                s.setblocking(False)
                try:
                    reply = s.recv(65535)
                except BlockingIOError:
                    continue
                if len(reply) < 12 or not reply[2] & 0x80 or reply[:2] != wire[:2]:
                    bad.append((wire[:16].hex(), reply[:16].hex()))
        finally:
            for s, _ in socks:
                s.close()
    assert not bad, "replies that are not responses to the datagram: %s" % bad[:5]
    assert rootwalkd.proc.poll() is None
    still_answers(rootwalkd.addr)


def test_qdcount_mismatch_formerr(rootwalkd):
    """QDCOUNT 2 with one question present: FORMERR."""
    w = bytearray(make_query("video-platform.com.").to_wire())
    w[5] = 2
    reply = dnsq.udp_exchange(rootwalkd.addr, bytes(w), wait=dnsq.TIMEOUT)
    assert reply is not None, "no answer"
    assert reply[3] & 0xF == dns.rcode.FORMERR, "rcode %d" % (reply[3] & 0xF)


def test_sighup_reopens_trace_log(start_rootwalkd):
    """Log rotation: after the trace file is renamed and SIGHUP sent, new traces go to a new
    file at the configured path; the old file keeps the old traces."""
    r = start_rootwalkd()
    dnsq.ask(r.addr, "video-platform.com.", "A")
    assert traces.wait_trace(r.trace_log, "video-platform.com.", "A")
    os.rename(r.trace_log, r.trace_log + ".1")
    r.proc.send_signal(signal.SIGHUP)
    # The new file is created when the daemon handles the signal; a query answered before that
    # would be traced in the old one.
    procs.wait_for(lambda: os.path.exists(r.trace_log), timeout=5, proc=r.proc,
                     what="a new %s after SIGHUP" % r.trace_log)
    dnsq.ask(r.addr, "hup.example.org.", "A")
    new = traces.wait_trace(r.trace_log, "hup.example.org.", "A")
    assert new, "no trace for the query after SIGHUP in the new %s" % r.trace_log
    assert not traces.traces_for(r.trace_log, "video-platform.com.", "A")
    assert traces.traces_for(r.trace_log + ".1", "video-platform.com.", "A")
    assert not traces.traces_for(r.trace_log + ".1", "hup.example.org.", "A")
    assert r.proc.poll() is None


def test_sigterm_with_unread_tcp_replies(start_rootwalkd):
    """Clients that never read their large replies (write queues full) do not keep the daemon
    from stopping cleanly."""
    r = start_rootwalkd()
    lazy = []
    try:
        for _ in range(4):
            s = socket.create_connection((r.addr, 53), timeout=3)
            lazy.append(s)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            # The daemon cuts off a client whose unread replies pass 256 KB, which may happen
            # before all 300 queries are sent: the send then fails, as it may.
            dnsq.send_all_or_closed(s, b"".join(
                frame(make_query("big.video-platform.com.", "TXT", id_=j).to_wire())
                for j in range(300)))
        time.sleep(1.0)
        t0 = time.monotonic()
        rc = r.stop(signal.SIGTERM)
        dt = time.monotonic() - t0
    finally:
        for s in lazy:
            s.close()
    err = r.stderr()
    assert rc == 0, "exit status %s; output:\n%s" % (rc, err[-3000:])
    assert dt < 2.0, "took %.1f s to stop" % dt
    assert not procs.sanitizer_lines(err), err[-6000:]


@pytest.fixture
def hints_to(tmp_path):
    """Factory: a root hints file naming one root server at addr."""
    def make(addr):
        p = tmp_path / ("hints-%s" % addr)
        p.write_text(". 3600 NS a.fault-root.\na.fault-root. 3600 A %s\n" % addr)
        return str(p)
    return make


def test_dead_root_port_fails_fast(start_rootwalkd, hints_to):
    """The only root server's address has no listener: the ICMP port-unreachable on the
    connected upstream socket ends the attempt at once, not after upstream-timeout."""
    r = start_rootwalkd(root_hints=hints_to("127.9.255.7"), extra="upstream-timeout: 3000\n")
    t0 = time.monotonic()
    m = dnsq.ask(r.addr, "icmp.example.org.", "A", timeout=10)
    dt = time.monotonic() - t0
    assert m.rcode() == dns.rcode.SERVFAIL
    assert dt < 1.0, "SERVFAIL after %.2f s: the ICMP error was not used" % dt


def test_black_hole_root_sigterm_in_flight(start_rootwalkd, hints_to):
    """A root that takes packets and connections but never answers: SERVFAIL within the budget;
    SIGTERM with UDP and TCP queries in flight and clients gone ends cleanly."""
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    clients = []
    try:
        udp.bind(("127.9.255.9", 53))
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        tcp.bind(("127.9.255.9", 53))
        tcp.listen(100)
        r = start_rootwalkd(root_hints=hints_to("127.9.255.9"),
                            extra="upstream-timeout: 300\nquery-budget: 2000\n")
        t0 = time.monotonic()
        m = dnsq.ask(r.addr, "x.example.", "A", timeout=6)
        dt = time.monotonic() - t0
        assert m.rcode() == dns.rcode.SERVFAIL
        assert dt < 3.0, "SERVFAIL after %.1f s with a 2 s budget" % dt
        for i in range(20):
            s = socket.create_connection((r.addr, 53), timeout=3)
            s.sendall(frame(make_query("leave%d.example." % i).to_wire()))
            s.close()
        us = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        clients.append(us)
        for i in range(30):
            us.sendto(make_query("inflight%d.example." % i).to_wire(), (r.addr, 53))
        for i in range(5):
            s = socket.create_connection((r.addr, 53), timeout=3)
            s.sendall(frame(make_query("tcpinflight%d.example." % i).to_wire()))
            clients.append(s)
        time.sleep(0.1)
        rc = r.stop(signal.SIGTERM)
        err = r.stderr()
        assert rc == 0, "exit status %s; output:\n%s" % (rc, err[-3000:])
        assert not procs.sanitizer_lines(err), err[-6000:]
    finally:
        for s in clients:
            s.close()
        udp.close()
        tcp.close()


def test_udp_query_longer_than_4096_bytes_formerr(rootwalkd):
    """A UDP query of 5,000 bytes does not fit the 4,096 bytes rootwalkd reads of a datagram:
    it is answered FORMERR with the query's ID, and the daemon keeps answering."""
    wire = make_query("video-platform.com.", id_=4321).to_wire()
    wire += b"\0" * (5000 - len(wire))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(3)
        s.sendto(wire, (rootwalkd.addr, 53))
        reply, _ = s.recvfrom(65535)
    assert struct.unpack("!H", reply[:2])[0] == 4321
    assert reply[2] & 0x80, "not a response"
    assert reply[3] & 0xF == dns.rcode.FORMERR, "rcode %d" % (reply[3] & 0xF)
    still_answers(rootwalkd.addr)


def sendfail_shim(binary):
    """build/tests/shim/libsendfail.so beside build/src/daemon/rootwalkd."""
    build = os.path.dirname(os.path.dirname(os.path.dirname(binary)))
    path = os.path.join(build, "tests", "shim", "libsendfail.so")
    if not os.path.exists(path):
        pytest.fail("no %s: build the tests/shim target" % path)
    return path


def test_udp_replies_wait_for_a_full_socket(start_rootwalkd, rootwalkd_binary, tmp_path):
    """Replies the socket does not take (EAGAIN from sendmmsg or sendto, or sendmmsg sending
    only half a batch: injected by tests/shim/sendfail.c) wait and go out later: 600 cached
    queries in bursts of 100 from one socket all get their answer, and the shim reports that it
    injected both kinds of failure."""
    log = str(tmp_path / "sendfail.log")
    env = {"LD_PRELOAD": sendfail_shim(rootwalkd_binary), "SENDFAIL_EVERY": "3",
           "SENDFAIL_PARTIAL": "2", "SENDFAIL_LOG": log,
           "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0"}
    r = start_rootwalkd(env=env)
    still_answers(r.addr)
    missing = set()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        for burst in range(6):
            want = set(range(burst * 100, burst * 100 + 100))
            # Stopped while the burst arrives, the daemon then finds all 100 queued and answers
            # them in batches of 64 and 36: sendmmsg() with many replies at once.
            os.kill(r.proc.pid, signal.SIGSTOP)
            try:
                procs.wait_for(lambda: procs.proc_state(r.proc.pid) == "T", timeout=5,
                                 interval=0.005, what="rootwalkd stopped by SIGSTOP")
                for i in sorted(want):
                    s.sendto(make_query("video-platform.com.", id_=i).to_wire(), (r.addr, 53))
            finally:
                os.kill(r.proc.pid, signal.SIGCONT)
            deadline = time.monotonic() + 5
            while want and time.monotonic() < deadline:
                s.settimeout(max(0.01, deadline - time.monotonic()))
                try:
                    m = dns.message.from_wire(s.recv(65535))
                except socket.timeout:
                    break
                assert m.rcode() == dns.rcode.NOERROR
                want.discard(m.id)
            missing |= want
    assert not missing, "%d of 600 queries unanswered, e.g. %s" % (len(missing),
                                                                   sorted(missing)[:5])
    still_answers(r.addr)
    assert "dropping" not in r.stderr()
    r.stop(signal.SIGTERM)
    did = shim_report(log)
    assert did["eagain"] > 0 and did["partial"] > 0, "the shim injected too little: %s" % did


def shim_report(path):
    """What tests/shim/sendfail.c says it did: {"eagain": N, "partial": M, "epollerr": E}."""
    with open(path) as f:
        words = f.read().split()
    return dict((k, int(v)) for k, v in zip(words[0::2], words[1::2]))


def test_udp_socket_error_keeps_listening(start_rootwalkd, rootwalkd_binary, tmp_path):
    """An error reported on the listening UDP socket (EPOLLERR, injected once by the shim; libuv
    then stops watching the socket) is cleared and logged, and rootwalkd goes on answering."""
    log = str(tmp_path / "sendfail.log")
    env = {"LD_PRELOAD": sendfail_shim(rootwalkd_binary), "SENDFAIL_EPOLLERR": "3",
           "SENDFAIL_LOG": log,
           "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0"}
    r = start_rootwalkd(env=env)
    for _ in range(10):
        still_answers(r.addr)
    r.stop(signal.SIGTERM)
    assert shim_report(log)["epollerr"] == 1, "the shim did not inject the error"
    assert "UDP socket error" in r.stderr() and "listening again" in r.stderr()
