"""Forged replies against 0x20 (issue 13): an attacker who won the ID and port race but not the
0x20 case. The scripted server of spoof.fault. (127.9.3.1, mode spoof-flood) sends, from its own
address and port, a burst of forged answers for every query it receives (same ID, the question
in another letter case, A 192.0.2.66), and only then the real answer (or none: a slow server).
rootwalkd must drop every forgery (never answer or cache it), count them
(upstream.case_mismatch), log them as possible spoofing (rate-limited), and keep 0x20 on for
that server: forgeries are no evidence that it ignores case."""

import math
import os
import tempfile
import time

import dns.rcode
import pytest

from rwlab import dnsq, resolvers
from rwlab.traces import brief, events, nth

FORGED = "192.0.2.66"
GENUINE = "192.0.2.2"  # *.wild in generic.zone
UNBOUND_CAPS_ADDR = "127.0.0.59"
SLOW = 5.0


def names(n, tag):
    return ["%s%d.wild.spoof.fault." % (tag, i) for i in range(n)]


def resolve_all(addr, qnames):
    """(forged answers, genuine answers, other results) for qnames asked one after the other."""
    forged = genuine = other = 0
    for q in qnames:
        try:
            m = dnsq.ask(addr, q, "A", timeout=SLOW)
        except Exception:  # a timeout counts as another result
            other += 1
            continue
        got = dnsq.addrs(m)
        if FORGED in got:
            forged += 1
        elif got == [GENUINE]:
            genuine += 1
        else:
            other += 1
    return forged, genuine, other


def mixed_case(qname):
    return qname != qname.lower()


def test_spoof_flood_is_dropped(fault_servers, start_ctl):
    """30 resolutions, each upstream query met by 20 forged answers 50 ms before the real one:
    no forged answer is served or cached, every forgery is counted, the log says so at most
    once per 10 s, the server is not marked as ignoring case, and its queries keep 0x20.
    """
    n, burst = 30, 20
    srv = fault_servers("127.9.3.1", "spoof.fault.", mode="spoof-flood", spoof_count=burst,
                        flood_delay_ms=50)
    ctl = start_ctl()
    r = ctl.r
    t0 = time.monotonic()
    qnames = names(n, "n")
    forged, genuine, other = resolve_all(r.addr, qnames)
    elapsed = time.monotonic() - t0
    t = nth(r.trace_log, qnames[0], index=-1)
    assert (forged, genuine, other) == (0, n, 0), "forged %d, genuine %d, other %d\n%s" % (
        forged, genuine, other, brief(t))
    # the cache holds the real answers only
    again = resolve_all(r.addr, qnames)
    assert again == (0, n, 0), again
    udp = [q for q in srv.queries() if q["proto"] == "udp"]
    assert all(mixed_case(q["qname"]) for q in udp), [q["qname"] for q in udp]
    st = ctl.stats()
    sent = len(udp) * burst
    assert 0.9 * sent <= st["upstream.case_mismatch"] <= sent, (st["upstream.case_mismatch"], sent)
    assert st["upstream.no_0x20"] == 0, st
    rej = events(t, "reply", kind="rejected")
    assert rej and "possible spoofing" in rej[0]["reason"], brief(t)
    # rate-limited: one line, then at most one per 10 s
    lines = [l for l in r.stderr().splitlines() if "possible spoofing" in l]
    assert 1 <= len(lines) <= math.ceil(elapsed / 10) + 1, lines
    print("\nspoof flood: rootwalkd served %d forged answers of %d (%d genuine), "
          "%d forgeries dropped" % (forged, n, genuine, st["upstream.case_mismatch"]))


@pytest.mark.parametrize("n,scenario", [
    (50, {"spoof_count": 20, "flood_delay_ms": 50}),
    (10, {"spoof_count": 5, "flood_silent": True})], ids=["answering", "slow"])
def test_spoof_flood_compared_with_unbound(the_lab, fault_tld, start_rootwalkd, n, scenario):
    """The same flood against rootwalkd and against Unbound with use-caps-for-id: yes, one after
    the other on one fault server (started here, not by fault_servers: its queries come from two
    resolvers): forgeries before each real answer, or before no UDP answer at all (a slow
    server; TCP answers). rootwalkd serves no forged answer, and never more than Unbound; the
    numbers are printed (pytest -s)."""
    fs = the_lab.start_fault_server("127.9.3.1", {"spoof.fault.": None},
                                    dict(scenario, mode="spoof-flood"))
    try:
        r = start_rootwalkd()
        rw = resolve_all(r.addr, names(n, "c"))
        d = tempfile.mkdtemp(prefix="unbound-caps-", dir=the_lab.tmp)
        conf = resolvers.unbound_conf(d, UNBOUND_CAPS_ADDR, lines=resolvers.UNBOUND_LAB_LINES +
                                      ["use-caps-for-id: yes"])
        u = resolvers.start_unbound(d, conf, UNBOUND_CAPS_ADDR, wait="answers")
        try:
            ub = resolve_all(UNBOUND_CAPS_ADDR, names(n, "c"))
        finally:
            u.stop()
    finally:
        fs.stop()
    assert "Traceback" not in fs.stderr(), fs.stderr()[-3000:]
    print("\nspoof flood %s, %d resolutions: forged answers served / genuine / other: "
          "rootwalkd %d/%d/%d, Unbound (use-caps-for-id) %d/%d/%d" % ((scenario, n) + rw + ub))
    assert rw == (0, n, 0), rw
    assert rw[0] <= ub[0]


def test_slow_server_and_forgeries_keep_0x20(fault_servers, start_ctl):
    """The server never answers over UDP (slow) but forgeries in another case arrive: the
    questions time out, are asked over TCP (answered), and the server keeps 0x20: every UDP
    query to it, to the last, goes in mixed case; upstream.no_0x20 stays 0."""
    n = 4
    srv = fault_servers("127.9.3.1", "spoof.fault.", mode="spoof-flood", spoof_count=5,
                        flood_silent=True)
    ctl = start_ctl()
    r = ctl.r
    qnames = names(n, "s")
    for q in qnames:
        m = dnsq.ask(r.addr, q, "A", timeout=SLOW)
        t = nth(r.trace_log, q, index=-1)
        assert dnsq.addrs(m) == [GENUINE], "%s: %s\n%s" % (q, m.answer, brief(t))
        tos = events(t, "timeout")
        assert tos and "asking over TCP" in tos[0]["reason"], brief(t)
        assert not events(t, "no_0x20"), brief(t)
    qs = srv.queries()
    udp = [q for q in qs if q["proto"] == "udp"]
    assert len(udp) >= n and all(mixed_case(q["qname"]) for q in udp), qs
    assert len([q for q in qs if q["proto"] == "tcp"]) >= n, qs
    st = ctl.stats()
    assert st["upstream.no_0x20"] == 0 and st["upstream.case_mismatch"] >= 5 * n, st


def test_server_ignoring_case_found_over_tcp(fault_servers, start_ctl):
    """A server that really does not echo the case (mode lowercase): the UDP reply is dropped,
    the question asked over TCP shows it, and the server is asked without 0x20 from then on
    (trace event no_0x20 with its 300 s)."""
    srv = fault_servers("127.9.3.1", "spoof.fault.", mode="lowercase")
    ctl = start_ctl(extra="upstream-cookies: no\n")
    r = ctl.r
    m = dnsq.ask(r.addr, "www.spoof.fault.", "A", timeout=SLOW)
    t = nth(r.trace_log, "www.spoof.fault.", index=-1)
    assert dnsq.addrs(m) == ["192.0.2.1"], "%s\n%s" % (m.answer, brief(t))
    ev = events(t, "no_0x20")
    assert ev and ev[0]["ttl"] == 300 and "TCP" in ev[0]["reason"], brief(t)
    assert [q["proto"] for q in srv.queries()] == ["udp", "tcp"], srv.queries()
    mark = srv.mark()
    m = dnsq.ask(r.addr, "alias.spoof.fault.", "A", timeout=SLOW)
    assert dnsq.addrs(m) == ["192.0.2.1"], m.answer
    sent = [q["qname"] for q in srv.queries(mark)]
    assert sent == ["alias.spoof.fault."], sent
    assert ctl.stats()["upstream.no_0x20"] == 1
