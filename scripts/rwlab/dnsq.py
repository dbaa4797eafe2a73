"""DNS for the lab's clients: one way to ask (UDP or TCP, from any source, timed or waited
for), raw exchanges for what dnspython will not send, and readers of replies."""

import socket
import struct
import time

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype

from rwlab import START_TIMEOUT, LabError
from rwlab.procs import wait_for

TIMEOUT = 2.0  # seconds any single network wait of a test may take


# -- asking ---------------------------------------------------------------------------------------

def make_query(qname, qtype="A", rd=True, payload=1232, use_edns=True, want_dnssec=False,
               id_=None):
    """A query with EDNS (a 1232-byte buffer) and RD set unless told otherwise."""
    q = dns.message.make_query(qname, qtype, use_edns=0 if use_edns else False, payload=payload,
                               want_dnssec=want_dnssec)
    if not rd:
        q.flags &= ~dns.flags.RD
    if id_ is not None:
        q.id = id_
    return q


def ask(addr, qname, qtype="A", tcp=False, rd=True, payload=1232, timeout=TIMEOUT, port=53,
        source=None, use_edns=True, want_dnssec=False):
    """One query, UDP or TCP, from source (an address of this namespace) if given; returns the
    reply (dns.message). Raises dns.exception.Timeout after timeout seconds."""
    q = make_query(qname, qtype, rd=rd, payload=payload, use_edns=use_edns,
                   want_dnssec=want_dnssec)
    if tcp:
        return dns.query.tcp(q, addr, timeout=timeout, port=port, source=source)
    return dns.query.udp(q, addr, timeout=timeout, port=port, source=source)


def ask_stub(addr, qname, qtype="A", timeout=TIMEOUT):
    """Ask like a stub resolver: UDP with a 1232-byte buffer, TCP if the answer is truncated."""
    r = ask(addr, qname, qtype, timeout=timeout)
    if r.flags & dns.flags.TC:
        r = ask(addr, qname, qtype, tcp=True, timeout=timeout)
    return r


def ask_timed(addr, qname, qtype="A", timeout=TIMEOUT, none_on_timeout=False, **kw):
    """(reply, seconds it took). With none_on_timeout, a timeout gives (None, seconds) instead
    of raising dns.exception.Timeout."""
    t0 = time.monotonic()
    try:
        m = ask(addr, qname, qtype, timeout=timeout, **kw)
    except dns.exception.Timeout:
        if not none_on_timeout:
            raise
        m = None
    return m, time.monotonic() - t0


def wait_answers(addr, qname, qtype="SOA", timeout=START_TIMEOUT, proc=None, rd=False,
                 what="server"):
    """Ask addr qname/qtype until it answers (any rcode counts), for at most timeout seconds;
    returns the reply. proc: the server's process (fail at once if it exits)."""
    last = [None]

    def answered():
        try:
            return ask(addr, qname, qtype, rd=rd, timeout=0.3)
        except Exception as e:  # timeout, connection refused: not up yet
            last[0] = e
            return None
    return wait_for(answered, timeout, 0.05, proc, lambda: "answer from %s (%s) to %s %s (%s)"
                    % (what, addr, qname, qtype, last[0]), error=LabError)


# -- raw exchanges --------------------------------------------------------------------------------

def frame(wire):
    """A DNS message with the 2-byte length prefix of DNS over TCP."""
    return struct.pack("!H", len(wire)) + wire


def read_exact(s, n):
    """n bytes from a stream socket, or None if the peer closed first."""
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            return None
        b += c
    return b


def read_msg(s):
    """One length-prefixed message from a TCP socket, or None when the peer closed."""
    h = read_exact(s, 2)
    if h is None:
        return None
    return read_exact(s, struct.unpack("!H", h)[0])


def udp_exchange(addr, payload, port=53, wait=0.5):
    """Send raw bytes over UDP; return the reply bytes or None if nothing came within wait s."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(wait)
        s.sendto(payload, (addr, port))
        try:
            return s.recvfrom(65535)[0]
        except socket.timeout:
            return None


def tcp_exchange(addr, frames, port=53, wait=1.0, expect=1):
    """Send raw bytes over TCP, read up to `expect` length-prefixed replies. Returns
    (list of reply bytes, closed) where closed tells whether the server closed the connection."""
    replies = []
    closed = False
    with socket.create_connection((addr, port), timeout=wait) as s:
        s.sendall(frames)
        buf = b""
        deadline = time.monotonic() + wait
        while len(replies) < expect and time.monotonic() < deadline:
            s.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = s.recv(65535)
            except socket.timeout:
                break
            except ConnectionResetError:
                closed = True
                break
            if not chunk:
                closed = True
                break
            buf += chunk
            while len(buf) >= 2:
                n = struct.unpack("!H", buf[:2])[0]
                if len(buf) < 2 + n:
                    break
                replies.append(buf[2:2 + n])
                buf = buf[2 + n:]
    return replies, closed


def send_all_or_closed(s, data):
    """sendall(data) on a stream socket whose peer may close it before taking everything (a
    daemon that rejects an oversized request, or cuts off a client that does not read, may close
    first: the send then fails with EPIPE or ECONNRESET). Returns True if everything was sent,
    False if the peer closed first; what the peer sent before closing can still be read."""
    try:
        s.sendall(data)
        return True
    except (BrokenPipeError, ConnectionResetError):
        return False


def read_until_closed(s, wait):
    """Everything a stream socket's peer sends until it closes (or wait seconds pass)."""
    out = b""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        s.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            chunk = s.recv(65536)
        except (socket.timeout, ConnectionResetError):
            break
        if not chunk:
            break
        out += chunk
    return out


# -- reading replies ------------------------------------------------------------------------------

def rcode_text(m):
    return "no answer" if m is None else dns.rcode.to_text(m.rcode())


def records(m, rdtype=None):
    """[(owner, type, rdata)] of the answer section in order, lower case; only rdtype's if
    given. [] for no reply (None)."""
    if m is None:
        return []
    out = []
    for rrset in m.answer:
        for rr in rrset:
            t = dns.rdatatype.to_text(rrset.rdtype)
            if rdtype is None or t == rdtype:
                out.append((rrset.name.to_text().lower(), t, rr.to_text().lower()))
    return out


def addrs(m, rdtype="A"):
    """The addresses in the answer section, sorted."""
    return sorted(x[2] for x in records(m, rdtype))


def answer_ttl(m, name, rdtype="A"):
    """The TTL of name/rdtype in the answer section."""
    name = dns.name.from_text(name)
    for rrset in m.answer:
        if rrset.name == name and rrset.rdtype == dns.rdatatype.from_text(rdtype):
            return rrset.ttl
    raise AssertionError("no %s %s in the answer: %s" % (name, rdtype, m.answer))


def rrsets(section):
    """{(owner, type): frozenset(rdata)} of a message section; rdata compare case-insensitively
    on names (dnspython compares and hashes rdata in canonical form). TTLs are ignored."""
    out = {}
    for rrset in section:
        key = (rrset.name.to_text().lower(), dns.rdatatype.to_text(rrset.rdtype))
        out[key] = frozenset(out.get(key, frozenset()) | set(rrset))
    return out


def show_rrsets(d):
    """Readable form of rrsets() output, sorted, for assertion messages."""
    lines = []
    for (name, t), rds in sorted(d.items()):
        for rd in sorted(r.to_text() for r in rds):
            lines.append("%s %s %s" % (name, t, rd))
    return "; ".join(lines) or "(empty)"


def soa_in_authority(msg):
    return [r for r in msg.authority if r.rdtype == dns.rdatatype.SOA]


def ede(m):
    """[(info-code, extra text)] of the Extended DNS Error options (RFC 8914) in a reply."""
    out = []
    for o in m.options:
        if o.otype == 15:
            code = getattr(o, "code", None)
            text = getattr(o, "text", None)
            if code is None:  # a generic option: parse the wire form
                data = o.to_wire() if hasattr(o, "to_wire") else o.data
                code, text = int.from_bytes(data[:2], "big"), data[2:].decode("utf-8", "replace")
            out.append((int(code), text or ""))
    return out


def show(m):
    """A reply in one line, for assertion messages."""
    if m is None:
        return "no answer"
    return "%s answer=[%s] authority=[%s]" % (
        rcode_text(m), "; ".join(" ".join(x) for x in records(m)),
        "; ".join(x.to_text() for x in m.authority))


def probe_cached(addr, stop, out, limit_s=60, name="video-platform.com."):
    """Ask addr@53 for name (A) over UDP every 2 ms until the event stop is set, at most
    limit_s seconds; out gets each answer's time in seconds (5.0 for no answer in 5 s)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(5)
    wire = make_query(name, "A").to_wire()
    end = time.monotonic() + limit_s
    while not stop.is_set() and time.monotonic() < end:
        t0 = time.monotonic()
        s.sendto(wire, (addr, 53))
        try:
            s.recv(4096)
            out.append(time.monotonic() - t0)
        except socket.timeout:
            out.append(5.0)
        time.sleep(0.002)
    s.close()


def tcp_burst(addr, qname, qtype, n, batch=50, timeout=20):
    """Ask addr@53 n questions over one TCP connection, batch at a time; returns the replies'
    rcodes. Fails (AssertionError) past timeout seconds or if the server closes."""
    rcodes = []
    deadline = time.monotonic() + timeout
    with socket.create_connection((addr, 53), timeout=timeout) as s:
        for start in range(0, n, batch):
            k = min(batch, n - start)
            s.sendall(b"".join(frame(make_query(qname, qtype).to_wire())
                               for _ in range(k)))
            for _ in range(k):
                assert time.monotonic() < deadline, "burst took longer than %d s" % timeout
                reply = read_msg(s)
                assert reply is not None, "the server closed the connection"
                rcodes.append(reply[3] & 0x0f)
    return rcodes
