"""DNS cookies towards authoritative servers (RFC 7873, issue 13): rootwalkd sends a client
cookie to every server, echoes the server cookie it got back, retries a BADCOOKIE, and drops a
reply that carries another client cookie. The servers are the scripted fault servers
(tests/faultserver.py) under spoof.fault. (127.9.3.1)."""

import dns.rcode

from rwlab import dnsq
from rwlab.traces import brief, events, nth

SLOW = 5.0
FORGED = "192.0.2.66"  # what faultserver.py's forged answers claim


def test_server_requiring_cookies(fault_servers, start_ctl):
    """The server answers BADCOOKIE (with its server cookie) to a query that has only a client
    cookie: rootwalkd keeps that cookie and asks again over UDP, which is answered; later
    questions carry the server cookie from the start and need one query each."""
    srv = fault_servers("127.9.3.1", "spoof.fault.", mode="cookie-required")
    ctl = start_ctl()
    r = ctl.r
    m = dnsq.ask(r.addr, "www.spoof.fault.", "A", timeout=SLOW)
    t = nth(r.trace_log, "www.spoof.fault.", index=-1)
    assert dnsq.addrs(m) == ["192.0.2.1"], "%s\n%s" % (m, brief(t))
    qs = srv.queries()
    assert [q["proto"] for q in qs] == ["udp", "udp"], qs
    # first the client cookie alone (8 bytes), then with the 16-byte server cookie echoed
    assert len(qs[0]["cookie"]) == 16 and len(qs[1]["cookie"]) == 48, qs
    assert qs[1]["cookie"][:16] == qs[0]["cookie"], qs
    bad = [e for e in events(t, "reply") if "BADCOOKIE" in (e.get("reason") or "")]
    assert bad and "asking again" in bad[0]["reason"], brief(t)
    mark = srv.mark()
    m = dnsq.ask(r.addr, "a.b.c.spoof.fault.", "A", timeout=SLOW)
    assert dnsq.addrs(m) == ["192.0.2.3"], m
    later = srv.queries(mark)
    assert later and all(q["proto"] == "udp" and q["cookie"] == qs[1]["cookie"]
                         for q in later), later
    st = ctl.stats()
    assert st["upstream.badcookie"] == 1, st
    assert st["upstream.cookie_mismatch"] == 0, st


def test_reply_with_another_client_cookie_is_dropped(fault_servers, start_ctl):
    """A forged answer with the right ID and case, but a COOKIE whose client part is not the
    one sent (an off-path forger cannot know it), arrives 30 ms before the real one: it is
    dropped, counted and traced; the real answer is served and cached."""
    srv = fault_servers("127.9.3.1", "spoof.fault.", mode="spoof-cookie")
    ctl = start_ctl()
    r = ctl.r
    m = dnsq.ask(r.addr, "www.spoof.fault.", "A", timeout=SLOW)
    t = nth(r.trace_log, "www.spoof.fault.", index=-1)
    assert dnsq.addrs(m) == ["192.0.2.1"], "forged answer accepted: %s\n%s" % (m.answer, brief(t))
    assert len(srv.queries()) == 1, srv.queries()
    rej = events(t, "reply", kind="rejected")
    assert rej and "client cookie differs" in rej[0]["reason"], brief(t)
    assert not events(t, "timeout"), brief(t)
    assert ctl.stats()["upstream.cookie_mismatch"] == 1
    m = dnsq.ask(r.addr, "www.spoof.fault.", "A")
    assert dnsq.addrs(m) == ["192.0.2.1"] and FORGED not in str(m), m.answer


def test_reply_without_cookie_from_a_cookie_server_is_dropped(fault_servers, start_ctl):
    """Once the server gave us its cookie, a forged answer without any COOKIE option (an
    attacker strips it) arrives 30 ms before the real one: it is dropped as possibly forged
    (upstream.cookie_missing), and the real answer, with the cookie, is served."""
    srv = fault_servers("127.9.3.1", "spoof.fault.", mode="spoof-nocookie")
    ctl = start_ctl()
    r = ctl.r
    m = dnsq.ask(r.addr, "www.spoof.fault.", "A", timeout=SLOW)
    assert dnsq.addrs(m) == ["192.0.2.1"], m.answer  # learns the server cookie
    m = dnsq.ask(r.addr, "a.b.c.spoof.fault.", "A", timeout=SLOW)
    t = nth(r.trace_log, "a.b.c.spoof.fault.", index=-1)
    assert dnsq.addrs(m) == ["192.0.2.3"], "forged answer accepted: %s\n%s" % (m.answer, brief(t))
    rej = events(t, "reply", kind="rejected")
    assert rej and "no COOKIE from a server that gave us one" in rej[0]["reason"], brief(t)
    assert not events(t, "timeout"), brief(t)
    assert all(q["proto"] == "udp" for q in srv.queries()), srv.queries()
    assert ctl.stats()["upstream.cookie_missing"] >= 1


def test_cookies_off(fault_servers, start_rootwalkd):
    """upstream-cookies: no: no COOKIE option goes out; the cookie-requiring server answers such
    queries with TC, and rootwalkd gets the answer over TCP."""
    srv = fault_servers("127.9.3.1", "spoof.fault.", mode="cookie-required")
    r = start_rootwalkd(extra="upstream-cookies: no\n")
    m = dnsq.ask(r.addr, "www.spoof.fault.", "A", timeout=SLOW)
    assert m.rcode() == dns.rcode.NOERROR and dnsq.addrs(m) == ["192.0.2.1"], m
    qs = srv.queries()
    assert [q["proto"] for q in qs] == ["udp", "tcp"], qs
    assert not any("cookie" in q for q in qs), qs
