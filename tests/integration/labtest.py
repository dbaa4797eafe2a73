"""Helpers shared by the lab integration tests: asking, comparing answers, reading traces."""

import datetime
import json
import os
import re
import socket
import struct
import sys
import time

import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "scripts"))

import lab  # noqa: E402,F401  (scripts/lab.py; tests import it from here)

TIMEOUT = 2.0  # seconds any single network wait may take

# Sanitizer and crash signatures; any of these in a daemon's output fails the test.
SANITIZER_RE = re.compile(r"(ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|"
                          r"SUMMARY: (Address|Undefined|Leak)Sanitizer|AddressSanitizer:DEADLYSIGNAL|"
                          r"Sanitizer has encountered a fatal error)")


def make_query(qname, qtype="A", rd=True, payload=1232, use_edns=True):
    q = dns.message.make_query(qname, qtype, use_edns=0 if use_edns else False, payload=payload)
    if not rd:
        q.flags &= ~dns.flags.RD
    return q


def ask(addr, qname, qtype="A", tcp=False, rd=True, payload=1232, timeout=TIMEOUT):
    """One query to a resolver, UDP or TCP; raises dns.exception.Timeout after timeout s."""
    q = make_query(qname, qtype, rd=rd, payload=payload)
    if tcp:
        return dns.query.tcp(q, addr, timeout=timeout)
    return dns.query.udp(q, addr, timeout=timeout)


def ask_stub(addr, qname, qtype="A", timeout=TIMEOUT):
    """Ask like a stub resolver: UDP with a 1232-byte buffer, TCP if the answer is truncated."""
    r = ask(addr, qname, qtype, timeout=timeout)
    if r.flags & dns.flags.TC:
        r = ask(addr, qname, qtype, tcp=True, timeout=timeout)
    return r


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


def rcode_text(msg):
    return dns.rcode.to_text(msg.rcode())


def zone_rdataset(zones, owner, rdtype):
    """The rdataset the lab zone files hold for owner/type (from the zone that is authoritative)."""
    owner = dns.name.from_text(owner)
    best = None
    for origin, z in zones.items():
        o = dns.name.from_text(origin)
        if owner.is_subdomain(o) and (best is None or o.is_subdomain(best[0])):
            best = (o, z)
    assert best is not None, "no lab zone holds %s" % owner
    rds = best[1].get_rdataset(owner, dns.rdatatype.from_text(rdtype))
    assert rds is not None, "zone %s has no %s %s" % (best[0], owner, rdtype)
    return frozenset(rds)


# -- raw packets ----------------------------------------------------------------------------------

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


def frame(wire):
    return struct.pack("!H", len(wire)) + wire


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


def wait_for(cond, timeout=TIMEOUT, interval=0.02, proc=None, what="condition"):
    """Poll cond() until it returns something true, bounded by timeout seconds; returns that
    value. Fails if it does not come, or if proc (a subprocess) exits meanwhile."""
    deadline = time.monotonic() + timeout
    while True:
        got = cond()
        if got:
            return got
        if proc is not None and proc.poll() is not None:
            raise AssertionError("process %d exited (status %s) while waiting for %s"
                                 % (proc.pid, proc.returncode, what))
        if time.monotonic() > deadline:
            raise AssertionError("no %s within %g s" % (what, timeout))
        time.sleep(interval)


def wait_control_socket(r, path, timeout=5.0):
    """Wait until rootwalkd r listens on its control socket at path. The socket file appears at
    bind(), before listen(); the daemon logs "control socket PATH (mode ...)" only once it
    listens, so that line (not the file) says a client can connect."""
    wait_for(lambda: "control socket %s (" % path in r.stderr(), timeout=timeout, proc=r.proc,
             what="control socket %s listening" % path)


# -- traces ---------------------------------------------------------------------------------------

def read_json_traces(path):
    """Parse a JSON trace log: {trace id: [events in order]}, in order of first appearance.
    Every line must be a JSON object with "trace" and "ev". A last line without its newline is
    a write still in progress (the daemon writes batches of traces while the tests read; a
    reader can see the first part of a write) and is left out."""
    traces = {}
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if not line.endswith("\n"):
                break  # only the last line can lack it: the rest of it is not written yet
            line = line.strip()
            if not line:
                continue
            try:
                ev = json.loads(line)
            except ValueError as e:
                raise AssertionError("%s:%d: not JSON (%s): %r" % (path, n, e, line[:200]))
            assert isinstance(ev, dict) and "trace" in ev and "ev" in ev, \
                "%s:%d: event without trace/ev: %r" % (path, n, line[:200])
            traces.setdefault(ev["trace"], []).append(ev)
    return traces


def norm_name(n):
    n = str(n).lower()
    return "." if n in ("", ".") else n.rstrip(".") + "."


def norm_type(t):
    if isinstance(t, int):
        return dns.rdatatype.to_text(t)
    return str(t).upper()


def traces_for(path, qname, qtype):
    """Traces (lists of events) whose query event asks qname/qtype, oldest first."""
    out = []
    for events in read_json_traces(path).values():
        q = [e for e in events if e["ev"] == "query"]
        if q and norm_name(q[0].get("qname")) == norm_name(qname) \
                and norm_type(q[0].get("qtype")) == norm_type(qtype):
            out.append(events)
    return out


def wait_trace(path, qname, qtype, count=1, timeout=TIMEOUT):
    """Wait until the trace log holds `count` whole traces for qname/qtype, each up to its
    "done" event (they are written when the query completes, which may be just after the
    answer was sent, and a reader may see a write half done). Returns the traces found, whole
    or not, after at most timeout s."""
    deadline = time.monotonic() + timeout
    while True:
        got = traces_for(path, qname, qtype) if os.path.exists(path) else []
        whole = [t for t in got if t[-1]["ev"] == "done"]
        if len(whole) >= count or time.monotonic() > deadline:
            return got
        time.sleep(0.05)


def parse_iso(s):
    """ISO 8601 UTC ('2026-11-25T10:00:00Z' or with fractional seconds) to epoch seconds."""
    s = s.strip()
    assert s.endswith("Z"), "not UTC ('Z' suffix): %r" % s
    s = s[:-1]
    frac = 0.0
    if "." in s:
        s, f = s.split(".", 1)
        frac = float("0." + f)
    dt = datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc)
    return dt.timestamp() + frac


def sanitizer_lines(text):
    return [l for l in text.splitlines() if SANITIZER_RE.search(l)]


def cli_path():
    """The `rootwalk` binary: ROOTWALK, else next to ROOTWALKD, else build/."""
    p = os.environ.get("ROOTWALK")
    if not p and os.environ.get("ROOTWALKD"):
        d = os.path.dirname(os.path.dirname(os.path.abspath(os.environ["ROOTWALKD"])))
        p = os.path.join(d, "client", "rootwalk")
    p = os.path.abspath(p or os.path.join(REPO, "build", "src", "client", "rootwalk"))
    assert os.access(p, os.X_OK), "no rootwalk binary at %s (set ROOTWALK)" % p
    return p
