"""dnstap (issue 14): rootwalkd logs client and resolver messages in dnstap format.

A file written by rootwalkd is read back by Debian's dnstap-ldns, the reference decoder, and must
show the lab queries: the client's question and answer, and the walk's queries to the lab's
servers and their replies. A socket with no reader must never slow or stop answers: the
messages are dropped and counted in `rootwalk stats` (dnstap.sent, dnstap.dropped). A Frame
Streams reader written here (the handshake of the Frame Streams spec) shows the socket path
delivers when a reader is there. Every wait is bounded; every process is stopped by its test.
"""

import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time

import dns.rcode
import pytest

from rwlab import dnsq

VP = "video-platform.com."
ALL = ("dnstap-log-client-query-messages: yes\n"
       "dnstap-log-client-response-messages: yes\n"
       "dnstap-log-resolver-query-messages: yes\n"
       "dnstap-log-resolver-response-messages: yes\n")
DNSTAP_LDNS = shutil.which("dnstap-ldns") or "/usr/bin/dnstap-ldns"


def read_back(path, *flags):
    p = subprocess.run([DNSTAP_LDNS, "-r", path] + list(flags), capture_output=True, text=True,
                       timeout=30)
    assert p.returncode == 0, p.stderr
    return p.stdout


def stopped(c):
    """SIGTERM the daemon: fstrm writes what is queued and closes the file."""
    assert c.r.stop(signal.SIGTERM) == 0, c.r.stderr()[-3000:]


def test_file_read_back_by_dnstap_ldns(the_lab, start_ctl):
    d = tempfile.mkdtemp(prefix="dnstap-", dir=the_lab.tmp)
    path = os.path.join(d, "rootwalkd.dnstap")
    ident = "lab-resolver-" + "x" * 200  # longer than 127: a two-byte length in the envelope
    # One worker thread: the order of the file is asserted, and with several threads libfstrm
    # writes each thread's queue in turn (the messages' own times keep the real order).
    c = start_ctl(extra="num-threads: 1\ndnstap: yes\ndnstap-file: %s\ndnstap-identity: %s\n"
                  "dnstap-version: rootwalkd-lab\n%s" % (path, ident, ALL))
    assert dnsq.ask(c.r.addr, VP, "A").rcode() == dns.rcode.NOERROR
    assert dnsq.ask(c.r.addr, VP, "A", tcp=True).rcode() == dns.rcode.NOERROR  # a cache hit
    st = c.stats()
    assert "dnstap: file %s\n" % path in c.ok("status")
    stopped(c)

    quiet = read_back(path, "-q").splitlines()
    kinds = [l.split()[2] for l in quiet]
    # client: two questions, two answers (UDP then TCP), from the test's address
    cq = [l for l in quiet if l.split()[2] == "CQ"]
    cr = [l for l in quiet if l.split()[2] == "CR"]
    assert len(cq) == 2 and len(cr) == 2, quiet
    for l in cq + cr:
        assert " 127.0.0.1 " in l and '"%s" IN A' % VP in l, l
    assert "UDP" in cq[0] and "TCP" in cq[1], cq
    # resolver: queries to the lab's root, TLD and second-level servers, and their replies
    rq = [l for l in quiet if l.split()[2] == "RQ"]
    rr = [l for l in quiet if l.split()[2] == "RR"]
    assert len(rq) == st["upstream.queries"] and len(rr) == len(rq), (st, quiet)
    servers = {l.split()[3] for l in rq}
    assert any(s.startswith("127.1.0.") for s in servers), servers  # a lab root
    assert any(s.startswith("127.2.0.") for s in servers), servers  # com.
    assert any(s.startswith("127.3.") for s in servers), servers   # video-platform.com.
    assert all(re.match(r"127\.[123]\.", s) for s in servers), servers
    # the walk for the client's name comes between its question and its answer (0x20 case)
    vp = [i for i, l in enumerate(quiet) if re.search(r'RQ .* "video-platform\.com\." IN A',
                                                      l, re.I)]
    assert vp and kinds.index("CQ") < vp[0] < kinds.index("CR"), quiet
    assert kinds[-2:] == ["CQ", "CR"], kinds  # the cache hit: no upstream query
    assert st["dnstap.sent"] == len(quiet) and st["dnstap.dropped"] == 0, (st, len(quiet))

    # The YAML form: the identity, the zone asked (bailiwick) and the messages themselves.
    yaml = read_back(path, "-y")
    assert yaml.count('identity: "%s"' % ident) == len(quiet)
    assert yaml.count('version: "rootwalkd-lab"') == len(quiet)
    zones = {z.lower() for z in re.findall(r'query_zone: "([^"]*)"', yaml)}
    assert {".", "com.", "video-platform.com."} <= zones, zones
    assert 'query_address: "127.0.0.1"' in yaml and 'response_address: "127.1.0.' in yaml
    assert "response_message:" in yaml and "rcode: NOERROR" in yaml
    assert "socket_protocol: TCP" in yaml


def test_which_messages_and_reload(the_lab, start_ctl):
    """Only the kinds asked for are written; a reload changes the kinds (not the output), and
    dnstap: no stops the logging."""
    d = tempfile.mkdtemp(prefix="dnstap-", dir=the_lab.tmp)
    path = os.path.join(d, "tap")
    # one worker thread: the file's order is asserted (see test_file_read_back_by_dnstap_ldns)
    c = start_ctl(extra="num-threads: 1\ndnstap: yes\ndnstap-file: %s\n"
                  "dnstap-log-resolver-query-messages: yes\n" % path)
    assert dnsq.ask(c.r.addr, "www." + VP, "A").rcode() == dns.rcode.NOERROR
    with open(c.r.conf) as f:
        conf = f.read()
    with open(c.r.conf, "w") as f:
        f.write(conf.replace("dnstap-log-resolver-query-messages: yes",
                             "dnstap-log-client-response-messages: yes"))
    c.ok("reload")
    assert dnsq.ask(c.r.addr, "mail." + VP, "A").rcode() == dns.rcode.NOERROR
    with open(c.r.conf, "w") as f:
        f.write(conf.replace("dnstap: yes", "dnstap: no"))
    c.ok("reload")
    assert dnsq.ask(c.r.addr, "ftp." + VP, "A").rcode() == dns.rcode.NXDOMAIN
    stopped(c)
    quiet = read_back(path, "-q").splitlines()
    kinds = [l.split()[2] for l in quiet]
    n_rq = kinds.count("RQ")
    assert n_rq > 0 and kinds[n_rq:] == ["CR"], quiet  # RQ only, then one answer only
    assert '"mail.%s" IN A' % VP in quiet[-1], quiet
    assert not any("ftp." in l.lower() for l in quiet), quiet


def test_socket_without_reader_drops_and_counts(the_lab, start_ctl):
    d = tempfile.mkdtemp(prefix="dnstap-", dir=the_lab.tmp)
    sock = os.path.join(d, "nobody.sock")  # nothing listens there
    c = start_ctl(extra="dnstap: yes\ndnstap-socket-path: %s\n%s" % (sock, ALL))
    n = 200
    for i in range(n):
        assert dnsq.ask(c.r.addr, VP, "A", tcp=i % 2 == 1).rcode() == dns.rcode.NOERROR
    st = c.stats()
    assert "dnstap: socket %s (no reader)\n" % sock in c.ok("status")
    assert st["dnstap.sent"] == 0, st
    # every message was dropped at submission: two per client query, two per upstream query
    assert st["dnstap.dropped"] == 2 * n + 2 * st["upstream.queries"], st
    assert c.r.proc.poll() is None


# -- a Frame Streams reader (bidirectional handshake: READY, ACCEPT, START, data, STOP, FINISH) --

CT = b"protobuf:dnstap.Dnstap"
READY, ACCEPT, START, STOP, FINISH = 4, 1, 2, 3, 5


def control_frame(ctype, content_type=True):
    body = struct.pack(">I", ctype)
    if content_type:
        body += struct.pack(">II", 1, len(CT)) + CT
    return struct.pack(">II", 0, len(body)) + body


def read_exact(s, n):
    data = dnsq.read_exact(s, n)
    if data is None:
        raise EOFError
    return data


def read_frame(s):
    """(None, control type) for a control frame, (payload, None) for a data frame."""
    (n,) = struct.unpack(">I", read_exact(s, 4))
    if n:
        return read_exact(s, n), None
    (clen,) = struct.unpack(">I", read_exact(s, 4))
    body = read_exact(s, clen)
    return None, struct.unpack(">I", body[:4])[0]


def handshake(s):
    payload, ctype = read_frame(s)
    assert ctype == READY
    s.sendall(control_frame(ACCEPT))
    payload, ctype = read_frame(s)
    assert ctype == START


def serve_one(listener, frames, done):
    listener.settimeout(15)
    try:
        s, _ = listener.accept()
    except OSError:
        return
    s.settimeout(15)
    try:
        handshake(s)
        while True:
            payload, ctype = read_frame(s)
            if ctype == STOP:
                s.sendall(control_frame(FINISH, content_type=False))
                break
            frames.append(payload)
    except (EOFError, OSError):
        pass
    finally:
        s.close()
        done.set()


def test_socket_reader_receives_messages(the_lab, start_ctl):
    d = tempfile.mkdtemp(prefix="dnstap-", dir=the_lab.tmp)
    sock = os.path.join(d, "reader.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(sock)
    listener.listen(1)
    frames, done = [], threading.Event()
    t = threading.Thread(target=serve_one, args=(listener, frames, done), daemon=True)
    t.start()
    try:
        c = start_ctl(extra="dnstap: yes\ndnstap-socket-path: %s\n"
                      "dnstap-log-client-query-messages: yes\n" % sock)
        # the I/O thread connects at once; until the handshake is done messages may drop
        deadline = time.monotonic() + 10
        while c.stats()["dnstap.sent"] == 0 and time.monotonic() < deadline:
            dnsq.ask(c.r.addr, "localhost.", "A")
            time.sleep(0.05)
        st0 = c.stats()
        assert "dnstap: socket %s (connected)\n" % sock in c.ok("status")
        for _ in range(20):
            dnsq.ask(c.r.addr, "mail." + VP, "A")
        st = c.stats()
        assert st["dnstap.sent"] - st0["dnstap.sent"] == 20, st
        stopped(c)
        assert done.wait(15), "the reader never saw STOP"
        t.join(5)
        assert len(frames) == st["dnstap.sent"], (len(frames), st)
        assert sum(1 for f in frames if b"\x04mail\x0evideo-platform\x03com\x00" in f) == 20
    finally:
        listener.close()


def test_dnstap_without_an_output_refuses_to_start(the_lab, start_rootwalkd):
    r = start_rootwalkd(extra="dnstap: yes\n", wait=False)
    deadline = time.monotonic() + 10
    while r.proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert r.proc.poll() is not None
    r.returncode = r.proc.returncode  # an expected exit, not a death
    assert r.returncode == 1
    assert "dnstap: yes needs one of dnstap-socket-path and dnstap-file" in r.stderr()


def test_a_reader_that_stops_reading_never_stops_answers(the_lab, start_ctl):
    """The reader takes the handshake, then reads nothing: the socket buffer fills, then
    fstrm's queue; every query is still answered, and the messages beyond are dropped and
    counted (every message is either sent or dropped)."""
    d = tempfile.mkdtemp(prefix="dnstap-", dir=the_lab.tmp)
    sock = os.path.join(d, "stuck.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(sock)
    listener.listen(4)
    listener.settimeout(15)
    conns = []
    try:
        c = start_ctl(extra="dnstap: yes\ndnstap-socket-path: %s\n"
                      "dnstap-log-client-query-messages: yes\n"
                      "dnstap-log-client-response-messages: yes\n" % sock)
        s, _ = listener.accept()
        conns.append(s)
        s.settimeout(15)
        handshake(s)  # and from now on, nothing is read
        assert dnsq.ask(c.r.addr, VP, "A").rcode() == dns.rcode.NOERROR
        n = 6000
        t0 = time.monotonic()
        rcodes = dnsq.tcp_burst(c.r.addr, VP, "A", n, timeout=60)
        elapsed = time.monotonic() - t0
        assert rcodes == [0] * n
        st = c.stats()
        assert st["dnstap.dropped"] > 0, st
        assert st["dnstap.sent"] + st["dnstap.dropped"] == 2 * (n + 1), st
        print("%d cached queries in %.2f s with a stuck dnstap reader: %d messages queued, "
              "%d dropped" % (n, elapsed, st["dnstap.sent"], st["dnstap.dropped"]))
    finally:
        for s in conns:
            s.close()
        listener.close()
