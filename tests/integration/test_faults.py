"""Faults the lab can make with real servers: a silent server (timeout, then the next one),
a zone whose only server is silent, CNAME loops and overlong chains, a lame delegation."""

import socket
import time
from contextlib import contextmanager

import dns.rcode
import dns.rdatatype

import labtest
from labtest import norm_name

# This test module waits longer than the usual 2 s: a silent server costs a full upstream
# timeout (800 ms by default) per attempt.
SLOW = 5.0


@contextmanager
def silent_server(the_lab, name):
    """Replace a lab server by a black hole: its address takes UDP packets and TCP connections
    and never answers. The NSD is restarted afterwards."""
    s = the_lab.server(name)
    the_lab.stop_server(name)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        udp.bind((s.addr, 53))
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        tcp.bind((s.addr, 53))
        tcp.listen(16)
        yield s.addr
    finally:
        udp.close()
        tcp.close()
        the_lab.restart_server(name)


def sends_and_timeouts(trace):
    return ([e for e in trace if e["ev"] == "send"], [e for e in trace if e["ev"] == "timeout"])


def test_silent_server_then_next(the_lab, start_rootwalkd):
    """ns1.dnshost.net is silent: every question about video-platform.com is still answered (by
    ns2), and each query sent to ns1 shows up as a timeout followed by a try elsewhere."""
    with silent_server(the_lab, "ns1.dnshost.net") as dead:
        r = start_rootwalkd()
        names = [("video-platform.com.", "A", ["203.0.113.42"]),
                 ("mail.video-platform.com.", "A", ["203.0.113.25"]),
                 ("sip.video-platform.com.", "A", ["203.0.113.70"]),
                 ("sip2.video-platform.com.", "A", ["203.0.113.71"]),
                 ("mail2.video-platform.com.", "AAAA", ["2001:db8::26"]),
                 ("42.113.0.203.in-addr.arpa.", "PTR", ["video-platform.com."])]
        for qname, qtype, want in names:
            t0 = time.monotonic()
            m = labtest.ask(r.addr, qname, qtype, timeout=SLOW)
            got = [rr.to_text() for rrset in m.answer for rr in rrset]
            assert m.rcode() == dns.rcode.NOERROR and got == want, \
                "%s %s with %s silent: %s %s after %.1f s" % (
                    qname, qtype, dead, labtest.rcode_text(m), got, time.monotonic() - t0)
        for qname, qtype, _ in names:
            t = labtest.wait_trace(r.trace_log, qname, qtype)[0]
            sends, timeouts = sends_and_timeouts(t)
            to_dead = [e for e in sends if e["addr"] == dead]
            assert len([e for e in timeouts if e["addr"] == dead]) == len(to_dead), \
                "%s %s: %d queries to the silent %s but timeouts %r" % (
                    qname, qtype, len(to_dead), dead, timeouts)
            for e in timeouts:
                assert int(e["after_ms"]) >= 100, e


def test_only_server_silent(the_lab, start_rootwalkd):
    """cdnhost.net's only server is silent: SERVFAIL within the query budget, and the trace
    shows the timeouts and why it gave up."""
    with silent_server(the_lab, "ns.cdnhost.net") as dead:
        r = start_rootwalkd(extra="query-budget: 3000\n")
        t0 = time.monotonic()
        m = labtest.ask(r.addr, "edge.cdnhost.net.", "A", timeout=SLOW)
        elapsed = time.monotonic() - t0
        assert m.rcode() == dns.rcode.SERVFAIL, labtest.rcode_text(m)
        assert not m.answer
        assert elapsed < 4.0, "answered after %.1f s with a 3 s budget" % elapsed
        t = labtest.wait_trace(r.trace_log, "edge.cdnhost.net.", "A")[0]
        sends, timeouts = sends_and_timeouts(t)
        assert any(e["addr"] == dead for e in timeouts), "no timeout event for %s: %r" % (
            dead, [e for e in t if e["ev"] in ("send", "reply", "timeout")])
        for e in timeouts:
            for f in ("step", "server", "addr", "after_ms"):
                assert f in e, "timeout event without %s: %r" % (f, e)
        assert [e for e in t if e["ev"] == "fail"], "no fail event saying why"
        assert t[-1]["ev"] == "done" and t[-1]["rcode"] == "SERVFAIL"
        # The silent server's NSD is back after the with block; the resolver recovers.
    m = labtest.ask(r.addr, "cdnhost.net.", "A", timeout=SLOW)
    assert m.rcode() in (dns.rcode.NOERROR, dns.rcode.SERVFAIL)


def test_cname_chain_limit(resolver):
    """CNAME chains across zones (example.org <-> example.net): 11 links resolve, 12 do not."""
    m = labtest.ask(resolver.addr, "c11-1.example.org.", "A", timeout=SLOW)
    assert m.rcode() == dns.rcode.NOERROR, labtest.rcode_text(m)
    cnames = [rrset for rrset in m.answer if rrset.rdtype == dns.rdatatype.CNAME]
    assert len(cnames) == 11
    assert [rr.to_text() for rrset in m.answer if rrset.rdtype == dns.rdatatype.A
            for rr in rrset] == ["192.0.2.11"]
    m = labtest.ask(resolver.addr, "c12-1.example.org.", "A", timeout=SLOW)
    assert m.rcode() == dns.rcode.SERVFAIL, "12 CNAME links: %s" % labtest.rcode_text(m)


def test_cname_loop(resolver):
    m = labtest.ask(resolver.addr, "loop1.example.org.", "A", timeout=SLOW)
    assert m.rcode() == dns.rcode.SERVFAIL, "CNAME loop: %s" % labtest.rcode_text(m)


def test_cname_loop_trace(start_rootwalkd):
    r = start_rootwalkd()
    labtest.ask(r.addr, "loop1.example.org.", "A", timeout=SLOW)
    t = labtest.wait_trace(r.trace_log, "loop1.example.org.", "A")[0]
    chain = [(norm_name(e["from"]), norm_name(e["to"])) for e in t if e["ev"] == "cname"]
    assert ("loop1.example.org.", "loop2.example.net.") in chain, chain
    assert [e for e in t if e["ev"] == "fail"], "no fail event for the loop"
    assert t[-1]["rcode"] == "SERVFAIL"
