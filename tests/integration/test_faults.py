"""Resolving in a hostile world (issue 5).

First the faults the lab can make with its NSD servers: a silent server (timeout, then the next
one), a zone whose only server is silent, CNAME loops and overlong chains. Then the scripted
fault server (tests/faultserver.py) under the fault. TLD: silent and slow servers, forged
replies, truncation, EDNS trouble, lame servers, upward and sideways referrals, loops, cyclic
dependencies, NXNS-style referrals, the limits, poisoning attempts and QNAME-minimisation-hostile
servers. Each case checks the client's answer (rcode, Extended DNS Error), an upper bound on
the queries the servers received, an upper bound on the time, and the trace's explanation.
"""

import socket
import subprocess
import time

import dns.message
import dns.rcode
import dns.rdatatype
import pytest

from rwlab import dnsq, traces
from rwlab.traces import brief, events, norm_name, nth, walk_events, walk_upstream

# This test module waits longer than the usual 2 s: a silent server costs a full upstream
# timeout (800 ms by default) per attempt.
SLOW = 5.0


def sends_and_timeouts(trace):
    return ([e for e in trace if e["ev"] == "send"], [e for e in trace if e["ev"] == "timeout"])


def test_silent_server_then_next(the_lab, start_rootwalkd):
    """ns1.dnshost.net is silent: every question about video-platform.com is still answered (by
    ns2), and each query sent to ns1 shows up as a timeout followed by a try elsewhere."""
    with the_lab.silenced("ns1.dnshost.net") as dead:
        r = start_rootwalkd()
        names = [("video-platform.com.", "A", ["203.0.113.42"]),
                 ("mail.video-platform.com.", "A", ["203.0.113.25"]),
                 ("sip.video-platform.com.", "A", ["203.0.113.70"]),
                 ("sip2.video-platform.com.", "A", ["203.0.113.71"]),
                 ("mail2.video-platform.com.", "AAAA", ["2001:db8::26"]),
                 ("42.113.0.203.in-addr.arpa.", "PTR", ["video-platform.com."])]
        for qname, qtype, want in names:
            t0 = time.monotonic()
            m = dnsq.ask(r.addr, qname, qtype, timeout=SLOW)
            got = [rr.to_text() for rrset in m.answer for rr in rrset]
            assert m.rcode() == dns.rcode.NOERROR and got == want, \
                "%s %s with %s silent: %s %s after %.1f s" % (
                    qname, qtype, dead, dnsq.rcode_text(m), got, time.monotonic() - t0)
        for qname, qtype, _ in names:
            t = traces.wait_trace(r.trace_log, qname, qtype)[0]
            sends, timeouts = sends_and_timeouts(t)
            to_dead = [e for e in sends if e["addr"] == dead]
            assert len([e for e in timeouts if e["addr"] == dead]) == len(to_dead), \
                "%s %s: %d queries to the silent %s but timeouts %r" % (
                    qname, qtype, len(to_dead), dead, timeouts)
            # Timeouts adapt to each server's measured RTT but never go below 50 ms
            # (RW_INFRA_MIN_RTO_MS, as Unbound's minimum); under ASan on a loaded machine even
            # the live ns2 can miss that and time out.
            for e in timeouts:
                assert int(e["after_ms"]) >= 50, e


def test_only_server_silent(the_lab, start_rootwalkd):
    """cdnhost.net's only server is silent: SERVFAIL within the query budget, and the trace
    shows the timeouts and why it gave up."""
    with the_lab.silenced("ns.cdnhost.net") as dead:
        r = start_rootwalkd(extra="query-budget: 3000\n")
        t0 = time.monotonic()
        m = dnsq.ask(r.addr, "edge.cdnhost.net.", "A", timeout=SLOW)
        elapsed = time.monotonic() - t0
        assert m.rcode() == dns.rcode.SERVFAIL, dnsq.rcode_text(m)
        assert not m.answer
        assert elapsed < 4.0, "answered after %.1f s with a 3 s budget" % elapsed
        t = traces.wait_trace(r.trace_log, "edge.cdnhost.net.", "A")[0]
        sends, timeouts = sends_and_timeouts(t)
        assert any(e["addr"] == dead for e in timeouts), "no timeout event for %s: %r" % (
            dead, [e for e in t if e["ev"] in ("send", "reply", "timeout")])
        for e in timeouts:
            for f in ("step", "server", "addr", "after_ms"):
                assert f in e, "timeout event without %s: %r" % (f, e)
        assert [e for e in t if e["ev"] == "fail"], "no fail event saying why"
        assert t[-1]["ev"] == "done" and t[-1]["rcode"] == "SERVFAIL"
        # The silent server's NSD is back after the with block; the resolver recovers.
    m = dnsq.ask(r.addr, "cdnhost.net.", "A", timeout=SLOW)
    assert m.rcode() in (dns.rcode.NOERROR, dns.rcode.SERVFAIL)


def test_cname_chain_limit(resolver):
    """CNAME chains across zones (example.org <-> example.net): 11 links resolve, 12 do not."""
    m = dnsq.ask(resolver.addr, "c11-1.example.org.", "A", timeout=SLOW)
    assert m.rcode() == dns.rcode.NOERROR, dnsq.rcode_text(m)
    cnames = [rrset for rrset in m.answer if rrset.rdtype == dns.rdatatype.CNAME]
    assert len(cnames) == 11
    assert [rr.to_text() for rrset in m.answer if rrset.rdtype == dns.rdatatype.A
            for rr in rrset] == ["192.0.2.11"]
    m = dnsq.ask(resolver.addr, "c12-1.example.org.", "A", timeout=SLOW)
    assert m.rcode() == dns.rcode.SERVFAIL, "12 CNAME links: %s" % dnsq.rcode_text(m)


def test_cname_loop(resolver):
    m = dnsq.ask(resolver.addr, "loop1.example.org.", "A", timeout=SLOW)
    assert m.rcode() == dns.rcode.SERVFAIL, "CNAME loop: %s" % dnsq.rcode_text(m)


def test_cname_loop_trace(start_rootwalkd):
    r = start_rootwalkd()
    dnsq.ask(r.addr, "loop1.example.org.", "A", timeout=SLOW)
    t = traces.wait_trace(r.trace_log, "loop1.example.org.", "A")[0]
    chain = [(norm_name(e["from"]), norm_name(e["to"])) for e in t if e["ev"] == "cname"]
    assert ("loop1.example.org.", "loop2.example.net.") in chain, chain
    assert [e for e in t if e["ev"] == "fail"], "no fail event for the loop"
    assert t[-1]["rcode"] == "SERVFAIL"


# -- the scripted fault server (tests/faultserver.py) ---------------------------------------------
#
# The fault. TLD (zones/fault/fault.zone) is served by a scripted server at 127.9.0.1 for the
# whole module; each test starts the servers of its scenario zone (zones/fault/generic.zone plus
# the records it adds) with the behaviour it needs, and counts the queries they received.

FORGED = "192.0.2.66"  # what the fault server's forged answers claim (faultserver.FORGED_ADDR)
EDE_OTHER = 0
EDE_NO_REACHABLE_AUTHORITY = 22
EDE_NETWORK_ERROR = 23


# The fixtures fault_tld and fault_servers (and the check that every send in rootwalkd's traces
# reached its server) are in conftest.py: test_messy.py uses them too.


def timed_ask(r, qname, qtype="A", timeout=SLOW, **kw):
    return dnsq.ask_timed(r.addr, qname, qtype, timeout=timeout, **kw)


def check_servfail(m, elapsed, limit_s, codes=(EDE_NO_REACHABLE_AUTHORITY,), mentions=()):
    """SERVFAIL within limit_s, with an EDE of one of codes whose text mentions each string."""
    assert m.rcode() == dns.rcode.SERVFAIL, "rcode %s, answer %s" % (dnsq.rcode_text(m),
                                                                    m.answer)
    assert not m.answer, m.answer
    assert elapsed < limit_s, "SERVFAIL after %.2f s (bound %.1f s)" % (elapsed, limit_s)
    e = dnsq.ede(m)
    assert e, "SERVFAIL without an Extended DNS Error option"
    assert e[0][0] in codes, "EDE %s, expected one of %s" % (e, codes)
    for s in mentions:
        assert s.lower() in e[0][1].lower(), "EDE text %r does not name %r" % (e[0][1], s)


def test_fault_tld_answers(fault_tld, start_rootwalkd):
    """The scripted TLD itself: rootwalkd walks root -> fault. like any TLD."""
    r = start_rootwalkd()
    m, dt = timed_ask(r, "ns.fault.", "A")
    assert dnsq.addrs(m) == ["127.9.0.1"], m
    m, dt = timed_ask(r, "nope.fault.", "A")
    assert m.rcode() == dns.rcode.NXDOMAIN


# -- server selection --------------------------------------------------------------------------

def test_one_server_silent_later_queries_prefer_the_other(fault_servers, start_rootwalkd):
    """twoserv.fault: ns1 never answers, ns2 does. Every question is answered; a query that
    tried ns1 shows the timeout and then ns2; once ns2 is known to answer, later questions
    (each a new name, so each asks the zone's servers) go to ns2: ns1 gets only the rare
    exploring query (1 in 16 here; choosing at random would send it half of them)."""
    wild = ["*.twoserv.fault. 300 IN A 192.0.2.2"]
    silent = fault_servers("127.9.1.1", "twoserv.fault.", mode="silent", add=wild)
    good = fault_servers("127.9.1.2", "twoserv.fault.", add=wild)
    r = start_rootwalkd()
    m, dt = timed_ask(r, "www.twoserv.fault.")
    assert dnsq.addrs(m) == ["192.0.2.1"] and dt < 2.0, (m.answer, dt)
    t = nth(r.trace_log, "www.twoserv.fault.", index=-1)
    to_silent = events(t, "send", addr="127.9.1.1")
    assert len(events(t, "timeout", addr="127.9.1.1")) == len(to_silent), brief(t)
    first_silent = len(silent.queries())
    assert first_silent <= 2, "ns1 asked %d times for one name" % first_silent

    later = 20
    for i in range(later):
        m, dt = timed_ask(r, "n%d.twoserv.fault." % i)
        assert dnsq.addrs(m) == ["192.0.2.2"], "n%d: %s" % (i, m.answer)
        assert dt < 2.0, "n%d took %.2f s" % (i, dt)
    extra = len(silent.queries()) - first_silent
    assert extra <= 6, "the silent ns1 got %d of %d later questions" % (extra, later)
    assert len(good.queries()) >= later


def test_all_servers_silent_servfail_with_ede(fault_servers, start_rootwalkd):
    """allsilent.fault: both servers silent. SERVFAIL with EDE 22 naming the zone, each
    server asked at most twice, within the default budget; the trace shows every timeout."""
    a = fault_servers("127.9.2.1", "allsilent.fault.", mode="silent")
    b = fault_servers("127.9.2.2", "allsilent.fault.", mode="silent")
    r = start_rootwalkd()
    m, dt = timed_ask(r, "www.allsilent.fault.", timeout=12)
    check_servfail(m, dt, 4.0, mentions=["allsilent.fault"])
    assert len(a.queries()) <= 2 and len(b.queries()) <= 2, (a.queries(), b.queries())
    t = nth(r.trace_log, "www.allsilent.fault.", index=-1)
    sends = [e for e in events(t, "send") if e["addr"] in ("127.9.2.1", "127.9.2.2")]
    timeouts = [e for e in events(t, "timeout") if e["addr"] in ("127.9.2.1", "127.9.2.2")]
    assert sends and len(timeouts) == len(sends), brief(t)
    fails = events(t, "fail")
    assert fails and "allsilent.fault" in fails[-1]["reason"], brief(t)
    assert t[-1]["rcode"] == "SERVFAIL"


def test_query_budget_ends_the_walk(fault_servers, start_rootwalkd):
    """With query-budget: 1000 the same zone fails after about a second (not after the
    ~2.4 s the retries would take), and the trace and EDE name the limit."""
    a = fault_servers("127.9.2.1", "allsilent.fault.", mode="silent")
    b = fault_servers("127.9.2.2", "allsilent.fault.", mode="silent")
    r = start_rootwalkd(extra="query-budget: 1000\n")
    m, dt = timed_ask(r, "www.allsilent.fault.", timeout=12)
    t = nth(r.trace_log, "www.allsilent.fault.", index=-1)
    assert any("query-budget" in e["reason"] for e in events(t, "fail")), brief(t)
    # Every send event in the trace is a query that really went out.
    time.sleep(0.2)
    sends = [e for e in events(t, "send") if e["addr"] in ("127.9.2.1", "127.9.2.2")]
    assert len(sends) == len(a.queries()) + len(b.queries()), \
        "the trace shows %d queries to the zone's servers, they received %d:\n%s" % (
            len(sends), len(a.queries()) + len(b.queries()), brief(t))
    check_servfail(m, dt, 1.0 + 0.4, codes=(EDE_OTHER, EDE_NO_REACHABLE_AUTHORITY),
                   mentions=["query-budget"])


def test_slow_server_answer_in_time(fault_servers, start_rootwalkd):
    """A server that answers after 250 ms (under the 400 ms first timeout): one query, no
    timeout."""
    slow = fault_servers("127.9.4.1", "slow.fault.", delay_ms=250)
    r = start_rootwalkd()
    m, dt = timed_ask(r, "www.slow.fault.")
    assert dnsq.addrs(m) == ["192.0.2.1"] and dt < 1.5, (m.answer, dt)
    assert len(slow.queries()) == 1, slow.queries()
    assert not events(nth(r.trace_log, "www.slow.fault.", index=-1), "timeout")


def test_slow_server_answer_after_timeout(fault_servers, start_rootwalkd):
    """A server that answers after 600 ms: the first try times out (400 ms), the retry with a
    doubled timeout gets the answer; two queries, the trace shows the timeout."""
    slow = fault_servers("127.9.4.1", "slow.fault.", delay_ms=600)
    r = start_rootwalkd()
    m, dt = timed_ask(r, "www.slow.fault.")
    assert dnsq.addrs(m) == ["192.0.2.1"] and dt < 2.5, (m.answer, dt)
    assert len(slow.queries()) == 2, slow.queries()
    t = nth(r.trace_log, "www.slow.fault.", index=-1)
    tos = events(t, "timeout", addr="127.9.4.1")
    assert len(tos) == 1 and 300 <= int(tos[0]["after_ms"]) < 600, brief(t)


# -- forged replies ----------------------------------------------------------------------------

@pytest.mark.parametrize("mode,caps,reason", [("spoof-id", False, "ID"),
                                              ("spoof-case", True, "case"),
                                              ("spoof-port", False, None)])
def test_forged_reply_first_is_ignored(fault_servers, start_rootwalkd, mode, caps, reason):
    """A forged answer (192.0.2.66) arrives 30 ms before the real one: with a wrong ID, from
    another source port, or (with use-caps-for-id) with the question in another letter case.
    It is dropped, the query keeps waiting, the real answer is served and cached, and nothing
    times out. (A reply from another port never reaches rootwalkd: its upstream sockets are
    connected, so the kernel drops it.)"""
    srv = fault_servers("127.9.3.1", "spoof.fault.", mode=mode)
    r = start_rootwalkd(extra="use-caps-for-id: %s\n" % ("yes" if caps else "no"))
    m, dt = timed_ask(r, "www.spoof.fault.")
    assert dnsq.addrs(m) == ["192.0.2.1"], "forged answer accepted: %s" % m.answer
    assert dt < 1.0, "took %.2f s: the forged reply was not just dropped" % dt
    assert len(srv.queries()) == 1, srv.queries()
    t = nth(r.trace_log, "www.spoof.fault.", index=-1)
    assert not events(t, "timeout"), brief(t)
    if reason:
        rej = events(t, "reply", kind="rejected")
        assert rej and reason.lower() in rej[0]["reason"].lower(), brief(t)
    if caps:
        sent = srv.queries()[0]["qname"]
        assert sent != sent.lower(), "use-caps-for-id on, but the name went out as %s" % sent
    m = dnsq.ask(r.addr, "www.spoof.fault.", "A")
    assert dnsq.addrs(m) == ["192.0.2.1"], "cache holds %s" % m.answer
    assert len(srv.queries()) == 1


# -- truncation and EDNS -----------------------------------------------------------------------

def test_truncated_udp_then_tcp(fault_servers, start_rootwalkd):
    srv = fault_servers("127.9.5.1", "tc.fault.", mode="tc")
    r = start_rootwalkd()
    m, dt = timed_ask(r, "www.tc.fault.")
    assert dnsq.addrs(m) == ["192.0.2.1"] and dt < 1.0, (m.answer, dt)
    protos = [q["proto"] for q in srv.queries()]
    assert protos == ["udp", "tcp"], protos
    t = nth(r.trace_log, "www.tc.fault.", index=-1)
    tc = [i for i, e in enumerate(t) if e["ev"] == "reply" and e.get("tc")]
    assert tc and [e for e in t[tc[0]:] if e["ev"] == "send" and e["proto"] == "tcp"], brief(t)


def test_truncated_over_and_over(fault_servers, start_rootwalkd):
    """TC with no records over UDP and over TCP: no loop; SERVFAIL, a few queries."""
    srv = fault_servers("127.9.5.1", "tc.fault.", mode="tc-always")
    r = start_rootwalkd()
    m, dt = timed_ask(r, "www.tc.fault.")
    t = nth(r.trace_log, "www.tc.fault.", index=-1)
    assert m.rcode() == dns.rcode.SERVFAIL, "a truncated reply over TCP was taken as %s %s:\n%s" \
        % (dnsq.rcode_text(m), m.answer, brief(t))
    assert dt < 1.5, dt
    assert len(srv.queries()) <= 4, srv.queries()


def test_truncated_and_no_tcp(fault_servers, start_rootwalkd):
    """TC over UDP, and TCP connections refused: SERVFAIL at once, with an EDE."""
    srv = fault_servers("127.9.5.1", "tc.fault.", mode="tc", no_tcp=True)
    r = start_rootwalkd()
    m, dt = timed_ask(r, "www.tc.fault.")
    check_servfail(m, dt, 1.0, codes=(EDE_NO_REACHABLE_AUTHORITY, EDE_NETWORK_ERROR))
    assert len(srv.queries()) <= 2, srv.queries()


def test_formerr_to_edns(fault_servers, start_rootwalkd):
    """FORMERR to EDNS queries: asked again without EDNS, and the server is remembered: the
    next question goes without EDNS at once."""
    srv = fault_servers("127.9.6.1", "noedns.fault.", mode="formerr-edns")
    r = start_rootwalkd()
    m, dt = timed_ask(r, "www.noedns.fault.")
    assert dnsq.addrs(m) == ["192.0.2.1"] and dt < 1.0, (m.answer, dt)
    assert [q["edns"] for q in srv.queries()] == [True, False], srv.queries()
    t = nth(r.trace_log, "www.noedns.fault.", index=-1)
    err = [e for e in events(t, "reply") if e["rcode"] == "FORMERR"]
    assert err and err[0]["kind"] == "error" and "EDNS" in err[0]["reason"], brief(t)
    assert events(t, "send", addr="127.9.6.1")[-1]["edns"] is False, brief(t)
    mark = srv.mark()
    m = dnsq.ask(r.addr, "www.noedns.fault.", "AAAA")
    assert m.rcode() == dns.rcode.NOERROR and m.answer
    assert [q["edns"] for q in srv.queries(mark)] == [False], srv.queries(mark)


# -- lame servers and bad referrals ----------------------------------------------------------

LAME_MODES = {
    "refused": dict(mode="refused"),
    "servfail": dict(mode="servfail"),
    "not-authoritative": dict(mode="lame"),
    "upward-referral": dict(mode="referral",
                            referral={"zone": "fault.", "ns": {"ns.fault.": "127.9.0.1"}}),
    "referral-to-root": dict(mode="referral",
                             referral={"zone": ".", "ns": {"a.root-servers.net.": "127.1.0.1"}}),
}


@pytest.mark.parametrize("case", sorted(LAME_MODES))
def test_lame_server_skipped_and_remembered(fault_servers, start_rootwalkd, case):
    """lame.fault: ns1 fails (REFUSED, SERVFAIL: kind 'failed', ranked below the others for a
    while) or is lame (not authoritative, a referral upward: kind 'lame', remembered for the
    zone), ns2 answers. Every question is answered; the query that met ns1 shows the reply
    with a reason and then asks ns2; ns1 is not asked again by the next questions."""
    wild = ["*.lame.fault. 300 IN A 192.0.2.2"]
    bad = fault_servers("127.9.8.1", "lame.fault.", add=wild, **LAME_MODES[case])
    fault_servers("127.9.8.2", "lame.fault.", add=wild)
    r = start_rootwalkd()
    hit = None
    # Until rootwalkd happens to pick ns1: half the first time, then 1 in 16 (exploration).
    # 200 tries miss it with probability 0.5 * (15/16)^199, about 1e-6. With 80 the odds were
    # 0.3%, and it did miss once (2026-11-26).
    for i in range(200):
        name = "n%d.lame.fault." % i
        m, dt = timed_ask(r, name)
        assert dnsq.addrs(m) == ["192.0.2.2"], "%s: %s %s" % (name, dnsq.rcode_text(m), m.answer)
        assert dt < 1.0, "%s took %.2f s" % (name, dt)
        if bad.queries():
            hit = name
            break
    assert hit, "ns1 was never asked in 200 questions"
    t = nth(r.trace_log, hit, index=-1)
    kind = "failed" if case in ("refused", "servfail") else "lame"
    lame = [e for e in events(t, "reply") if e["kind"] == kind]
    assert lame and lame[0].get("reason"), "no %s reply explained:\n%s" % (kind, brief(t))
    assert events(t, "send", addr="127.9.8.2"), brief(t)
    for i in range(10):
        m, dt = timed_ask(r, "after%d.lame.fault." % i)
        assert dnsq.addrs(m) == ["192.0.2.2"]
    assert len(bad.queries()) == 1, "lame ns1 asked again: %s" % bad.queries()


@pytest.mark.parametrize("case", ["refused", "upward-referral"])
def test_only_server_lame(fault_servers, start_rootwalkd, case):
    """lameonly.fault has one server and it fails: SERVFAIL with EDE 22 naming the zone, one
    query. A lame server (upward referral) is remembered: the next question about the zone
    does not ask it again. A REFUSED is not lameness: the next question asks it again (once),
    so one bad moment does not break the zone for infra-ttl."""
    bad = fault_servers("127.9.8.3", "lameonly.fault.", **LAME_MODES[case])
    r = start_rootwalkd()
    m, dt = timed_ask(r, "www.lameonly.fault.")
    check_servfail(m, dt, 1.0, mentions=["lameonly.fault"])
    assert len(bad.queries()) == 1, bad.queries()
    t = nth(r.trace_log, "www.lameonly.fault.", index=-1)
    kind = "failed" if case == "refused" else "lame"
    assert [e for e in events(t, "reply") if e["kind"] == kind], brief(t)
    m, dt = timed_ask(r, "other.lameonly.fault.")
    check_servfail(m, dt, 1.0)
    want = 2 if case == "refused" else 1
    assert len(bad.queries()) == want, "asked %d times, want %d: %s" % (
        len(bad.queries()), want, bad.queries())


def test_referral_loop(fault_servers, start_rootwalkd):
    """refloop.fault delegates sub.refloop.fault, whose server refers back up to refloop.fault:
    SERVFAIL, each server asked about once, the upward referral shown as lame."""
    top = fault_servers("127.9.9.1", "refloop.fault.",
                        add=["sub.refloop.fault. 3600 IN NS ns.sub.refloop.fault.",
                             "ns.sub.refloop.fault. 3600 IN A 127.9.9.2"])
    sub = fault_servers("127.9.9.2", "sub.refloop.fault.", mode="referral",
                        referral={"zone": "refloop.fault.",
                                  "ns": {"ns.refloop.fault.": "127.9.9.1"}})
    r = start_rootwalkd()
    m, dt = timed_ask(r, "www.sub.refloop.fault.")
    check_servfail(m, dt, 1.0, mentions=["sub.refloop.fault"])
    assert len(top.queries()) <= 2 and len(sub.queries()) <= 2, (top.queries(), sub.queries())
    t = nth(r.trace_log, "www.sub.refloop.fault.", index=-1)
    assert [e for e in events(t, "reply") if e["kind"] == "lame"], brief(t)


def test_sideways_referral_not_followed(fault_servers, start_rootwalkd):
    """side.fault's server refers to its sibling sidetarget.fault: lame; sidetarget's server is
    never asked."""
    side = fault_servers("127.9.10.1", "side.fault.", mode="referral",
                         referral={"zone": "sidetarget.fault.",
                                   "ns": {"ns.sidetarget.fault.": "127.9.10.2"}})
    target = fault_servers("127.9.10.2", "sidetarget.fault.")
    r = start_rootwalkd()
    m, dt = timed_ask(r, "www.side.fault.")
    check_servfail(m, dt, 1.0, mentions=["side.fault"])
    assert len(side.queries()) == 1, side.queries()
    assert not target.queries(), "followed the sideways referral: %s" % target.queries()
    t = nth(r.trace_log, "www.side.fault.", index=-1)
    assert [e for e in events(t, "reply") if e["kind"] == "lame"], brief(t)


def test_cname_loop_in_one_zone(fault_servers, start_rootwalkd):
    srv = fault_servers("127.9.14.1", "cloop.fault.")
    r = start_rootwalkd()
    m, dt = timed_ask(r, "loop1.cloop.fault.")
    check_servfail(m, dt, 1.0, codes=(EDE_OTHER,), mentions=["loop"])
    assert len(srv.queries()) <= 2, srv.queries()
    t = nth(r.trace_log, "loop1.cloop.fault.", index=-1)
    assert any("loop" in e["reason"].lower() for e in events(t, "fail")), brief(t)


# -- limits ------------------------------------------------------------------------------------

def test_cyclic_dependency_no_storm(fault_tld, start_rootwalkd):
    """cyc1.fault's server is named in cyc2.fault and the other way round, no glue (TsuNAME):
    SERVFAIL quickly, a handful of queries to the TLD, the trace says why."""
    r = start_rootwalkd()
    mark = fault_tld.mark()
    for name in ("www.cyc1.fault.", "www.cyc2.fault.", "ns.cyc1.fault."):
        m, dt = timed_ask(r, name)
        check_servfail(m, dt, 1.0, codes=(EDE_OTHER, EDE_NO_REACHABLE_AUTHORITY))
    got = fault_tld.queries(mark)
    assert len(got) <= 12, "%d queries to the TLD for 3 questions: %s" % (
        len(got), [(q["qname"], q["qtype"]) for q in got])
    t = nth(r.trace_log, "www.cyc1.fault.", index=-1)
    assert walk_upstream(t) <= 8, brief(t)
    reasons = " | ".join(e["reason"] for e in events(t, "fail"))
    assert "itself" in reasons or "cyc" in reasons, brief(t)


def nxns_victim(fault_servers):
    return fault_servers("127.9.11.1", "victim.fault.")


@pytest.mark.parametrize("limit", [None, 2])
def test_nxns_referral_lookups_capped(fault_servers, start_rootwalkd, limit):
    """nxns.fault is delegated to 100 name servers in victim.fault, no glue (NXNSAttack): at
    most max-ns-lookups (default 5) of their addresses are looked up; SERVFAIL names the
    limit."""
    victim = nxns_victim(fault_servers)
    r = start_rootwalkd(extra="max-ns-lookups: %d\n" % limit if limit else "")
    cap = limit or 5
    m, dt = timed_ask(r, "www.nxns.fault.")
    check_servfail(m, dt, 2.0, mentions=["max-ns-lookups"])
    names = {q["qname"].lower() for q in victim.queries()}
    assert len(names) <= cap and len(victim.queries()) <= 2 * cap, \
        "victim asked %d times about %d names (cap %d)" % (len(victim.queries()), len(names), cap)
    t = nth(r.trace_log, "www.nxns.fault.", index=-1)
    assert len(events(t, "subresolve")) <= cap, brief(t)
    assert any("max-ns-lookups (%d)" % cap in e["reason"] for e in events(t, "fail")), brief(t)


def test_max_upstream_queries(fault_servers, start_rootwalkd):
    """With the lookup cap raised to 64, max-upstream-queries (8) ends the same walk."""
    victim = nxns_victim(fault_servers)
    r = start_rootwalkd(extra="max-ns-lookups: 64\nmax-upstream-queries: 8\n")
    m, dt = timed_ask(r, "www.nxns.fault.")
    check_servfail(m, dt, 2.0, codes=(EDE_OTHER, EDE_NO_REACHABLE_AUTHORITY),
                   mentions=["max-upstream-queries"])
    t = nth(r.trace_log, "www.nxns.fault.", index=-1)
    assert walk_upstream(t) <= 8 and len(walk_events(t, "send")) <= 8, brief(t)
    assert len(victim.queries()) <= 8
    assert any("max-upstream-queries (8)" in e["reason"] for e in events(t, "fail")), brief(t)


def deep_servers(fault_servers):
    zones = ["deep1.fault.", "deep2.fault.", "deep3.fault.", "deep4.fault."]
    return fault_servers("127.9.7.1", zones,
                         add=["ns.%s 300 IN A 127.9.7.1" % z for z in zones[1:]])


def test_subresolution_depth_within_limit(fault_servers, start_rootwalkd):
    """www.deep1.fault needs ns.deep2 which needs ns.deep3, whose server ns.deep4 has an
    address in fault. itself: the sibling glue of the referral to deep3 (RFC 9471 2.2). Two
    nested sub-resolutions, resolved with the default limit (6); no lookup of ns.deep4."""
    deep_servers(fault_servers)
    r = start_rootwalkd()
    m, dt = timed_ask(r, "www.deep1.fault.")
    assert dnsq.addrs(m) == ["192.0.2.1"] and dt < 1.5, (dnsq.rcode_text(m), m.answer, dt)
    t = nth(r.trace_log, "www.deep1.fault.", index=-1)
    assert max(int(e.get("depth", 0)) for e in t) == 2, brief(t)
    assert not [e for e in events(t, "subresolve") if e["qname"] == "ns.deep4.fault."], brief(t)


def test_subresolution_depth_limit(fault_servers, start_rootwalkd):
    srv = deep_servers(fault_servers)
    r = start_rootwalkd(extra="max-subresolution-depth: 1\n")
    m, dt = timed_ask(r, "www.deep1.fault.")
    check_servfail(m, dt, 1.5, codes=(EDE_OTHER, EDE_NO_REACHABLE_AUTHORITY))
    t = nth(r.trace_log, "www.deep1.fault.", index=-1)
    assert any("max-subresolution-depth (1)" in e["reason"] for e in events(t, "fail")), brief(t)
    assert len(srv.queries()) <= 10, srv.queries()


# -- scrubbing ---------------------------------------------------------------------------------

EVIL = "127.9.12.2"
POISON = {
    "answer": ["www.video-platform.com. 3600 IN A %s" % EVIL],
    "authority": ["fault. 3600 IN NS evil.poison.fault.",
                  "com. 3600 IN NS evil.poison.fault."],
    "additional": ["ns1.dnshost.net. 3600 IN A %s" % EVIL,
                   "a.gtld-servers.net. 3600 IN A %s" % EVIL,
                   "ns.fault. 3600 IN A %s" % EVIL,
                   "evil.poison.fault. 3600 IN A %s" % EVIL],
}


@pytest.mark.parametrize("section", ["answer", "authority", "additional"])
def test_poisoning_attempt_dropped(fault_servers, start_rootwalkd, section):
    """poison.fault's server adds out-of-bailiwick records to its answer (an A for a name in
    another zone; a new NS set for fault. and com.; addresses for other zones' servers): the
    real answer is served, and none of the extra records is cached, served or used: every
    later question gets the real data and the server they point at is never asked."""
    fault_servers("127.9.12.1", "poison.fault.", extra={section: POISON[section]})
    evil = fault_servers(EVIL, ["fault.", "com.", "net."],
                         add=["www.video-platform.com. 300 IN A %s" % EVIL])
    r = start_rootwalkd()
    m = dnsq.ask(r.addr, "www.poison.fault.", "A")
    assert m.rcode() == dns.rcode.NOERROR
    assert list(dnsq.rrsets(m.answer)) == [("www.poison.fault.", "A")], m.answer
    assert dnsq.addrs(m) == ["192.0.2.1"], m.answer
    assert not m.additional and not [x for x in m.authority if x.rdtype == dns.rdatatype.NS], \
        "extra records passed on to the client: %s %s" % (m.authority, m.additional)
    checks = [("www.video-platform.com.", "A", ["203.0.113.42"]),
              ("ns1.dnshost.net.", "A", ["127.3.0.1"]),
              ("a.gtld-servers.net.", "A", ["127.2.0.1"]),
              ("ns.fault.", "A", ["127.9.0.1"]),
              ("www.twoserv.fault.", "A", None),
              ("shop.com.", "A", None)]
    for qname, qtype, want in checks:
        m = dnsq.ask(r.addr, qname, qtype, timeout=SLOW)
        got = [x for x in dnsq.addrs(m)]
        assert EVIL not in got, "%s %s served the injected %s" % (qname, qtype, EVIL)
        if want is not None:
            assert got == want, "%s %s: %s" % (qname, qtype, got)
    assert not evil.queries(), "the injected server was asked: %s" % [
        (q["qname"], q["qtype"]) for q in evil.queries()]
    for qname, _, _ in checks:
        for t in traces.traces_for(r.trace_log, qname, "A"):
            assert not [e for e in events(t, "send") if e["addr"] == EVIL], brief(t)


def test_qmin_nxdomain_for_empty_non_terminal(fault_servers, start_rootwalkd):
    """ent.fault's server answers NXDOMAIN for the empty non-terminals c.ent.fault and
    b.c.ent.fault: with QNAME minimisation on, a.b.c.ent.fault is still resolved (asked in
    full after the broken answer), and the trace shows the fallback."""
    srv = fault_servers("127.9.13.1", "ent.fault.", mode="ent-nxdomain")
    r = start_rootwalkd(extra="qname-minimisation: yes\n")
    m, dt = timed_ask(r, "a.b.c.ent.fault.")
    t = nth(r.trace_log, "a.b.c.ent.fault.", index=-1)
    assert m.rcode() == dns.rcode.NOERROR and dnsq.addrs(m) == ["192.0.2.3"], \
        "%s %s\n%s" % (dnsq.rcode_text(m), m.answer, brief(t))
    assert dt < 1.0
    assert len(srv.queries()) <= 3, srv.queries()
    fb = [e for e in events(t, "reply") if e["kind"] == "qmin-fallback"]
    assert fb and "NXDOMAIN" in fb[0]["reason"], brief(t)


# -- address families and shared work ----------------------------------------------------------

V6 = "2001:db8::9:15:1"


@pytest.fixture
def dual_servers(fault_servers):
    """dual.fault's one server name has an IPv4 and an IPv6 address; start(v6_mode) starts a
    normal server on the IPv4 one and one with v6_mode on the IPv6 one."""
    subprocess.run(["ip", "-6", "addr", "replace", V6 + "/128", "dev", "lo"], check=True)
    wild = ["*.dual.fault. 300 IN A 192.0.2.2"]

    def start(v6_mode):
        return (fault_servers("127.9.15.1", "dual.fault.", add=wild),
                fault_servers(V6, "dual.fault.", mode=v6_mode, add=wild))
    return start


def test_do_ip6_no_never_asks_ipv6(dual_servers, start_rootwalkd):
    v4, v6 = dual_servers("normal")
    r = start_rootwalkd(extra="do-ip6: no\n")
    for i in range(10):
        m, dt = timed_ask(r, "n%d.dual.fault." % i)
        assert dnsq.addrs(m) == ["192.0.2.2"], m.answer
    assert not v6.queries(), "do-ip6: no, but the IPv6 address was asked: %s" % v6.queries()
    assert len(v4.queries()) >= 10


def test_failing_family_does_not_stall(dual_servers, start_rootwalkd):
    """Both families on, the IPv6 address silent: every question is answered in time, with at
    most one timeout each (after it, the IPv4 address is asked)."""
    v4, v6 = dual_servers("silent")
    r = start_rootwalkd(extra="do-ip6: yes\n")
    for i in range(10):
        name = "n%d.dual.fault." % i
        m, dt = timed_ask(r, name)
        assert dnsq.addrs(m) == ["192.0.2.2"] and dt < 1.5, (i, m.answer, dt)
        t = nth(r.trace_log, name, index=-1)
        assert len(events(t, "timeout")) <= 1, brief(t)
    assert len(v6.queries()) <= 10, v6.queries()


def test_identical_questions_resolved_once(fault_servers, start_rootwalkd):
    """Five clients ask the same question while the (slow) server has not answered yet: one
    upstream query; every client gets the answer; the trace lists the clients that joined.
    One worker thread: identical questions are joined per worker (test_workers.py)."""
    slow = fault_servers("127.9.4.1", "slow.fault.", delay_ms=300)
    r = start_rootwalkd(extra="num-threads: 1\n")
    wire = dnsq.make_query("www.slow.fault.", "A").to_wire()
    socks = []
    try:
        for _ in range(5):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.settimeout(SLOW)
            s.sendto(wire, (r.addr, 53))
            socks.append(s)
        replies = [dns.message.from_wire(s.recv(65535)) for s in socks]
    finally:
        for s in socks:
            s.close()
    for m in replies:
        assert dnsq.addrs(m) == ["192.0.2.1"], m
    assert len(slow.queries()) == 1, slow.queries()
    t = nth(r.trace_log, "www.slow.fault.", index=-1)
    assert len(events(t, "joined")) == 4, brief(t)


def test_server_that_does_not_echo_case(fault_servers, start_rootwalkd):
    """use-caps-for-id on, and spoof.fault's server answers with the question in lower case:
    the UDP reply is dropped (it could be forged), the first question waits one timeout and is
    asked again over TCP, still with 0x20; the TCP reply in lower case shows the server ignores
    case, so it is remembered and the next question goes without 0x20 at once."""
    srv = fault_servers("127.9.3.1", "spoof.fault.", mode="lowercase")
    r = start_rootwalkd(extra="use-caps-for-id: yes\nupstream-cookies: no\n")
    m, dt = timed_ask(r, "www.spoof.fault.")
    t = nth(r.trace_log, "www.spoof.fault.", index=-1)
    assert dnsq.addrs(m) == ["192.0.2.1"] and dt < 1.5, "%s %.2f s\n%s" % (m.answer, dt, brief(t))
    assert [q["proto"] for q in srv.queries()] == ["udp", "tcp"], srv.queries()
    assert events(t, "reply", kind="rejected") and events(t, "timeout"), brief(t)
    assert events(t, "send", addr="127.9.3.1")[-1]["caps"] is True, brief(t)
    assert events(t, "no_0x20"), brief(t)
    mark = srv.mark()
    m, dt = timed_ask(r, "alias.spoof.fault.")
    assert dnsq.addrs(m) == ["192.0.2.1"] and dt < 0.5, (m.answer, dt)
    sent = [q["qname"] for q in srv.queries(mark)]
    assert sent == ["alias.spoof.fault."], "0x20 not turned off for this server: %s" % sent