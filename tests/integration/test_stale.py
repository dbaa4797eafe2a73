"""Serve-stale (RFC 8767) in the lab (issue 14): shop.com.'s only server (ns.webhost.com) is
silenced after its A record was cached and expired (cache-max-ttl: 2); rootwalkd answers with
the expired record, TTL 30 and EDE 3 "Stale Answer", after serve-expired-client-timeout, and
the trace says why. Without serve-expired the same question gets SERVFAIL.
"""

import subprocess
import time

import dns.rcode

from rwlab import dnsq, traces

SLOW = 15.0


def cache_then_expire(r):
    m = dnsq.ask(r.addr, "shop.com.", "A", timeout=SLOW)
    assert m.rcode() == dns.rcode.NOERROR and dnsq.addrs(m) == ["192.0.2.81"], dnsq.show(m)
    time.sleep(3)  # cache-max-ttl: 2


def stale_events(r, count):
    ts = traces.wait_trace(r.trace_log, "shop.com.", "A", count=count, timeout=SLOW)
    return [e["text"] for t in ts for e in t if e["ev"] == "stale"]


# Server facts forgotten after 1 s: the silent server, unknown again, costs a long timeout per
# try (about 600 ms), so the resolution outlasts a 300 ms client timer (a known server's
# timeout follows its RTT, 50 ms at least: the resolution would fail before the timer).
SLOW_REFRESH = "infra-ttl: 1\nserve-expired-client-timeout: 300\n"


def test_stale_answer_when_authority_silent(the_lab, start_rootwalkd):
    r = start_rootwalkd(extra="serve-expired: yes\ncache-max-ttl: 2\n" + SLOW_REFRESH)
    cache_then_expire(r)
    with the_lab.silenced("ns.webhost.com"):
        m, secs = dnsq.ask_timed(r.addr, "shop.com.", "A", timeout=SLOW)
        assert m.rcode() == dns.rcode.NOERROR, dnsq.show(m)
        assert dnsq.addrs(m) == ["192.0.2.81"]
        assert dnsq.answer_ttl(m, "shop.com.") == 30
        assert (3, "") in dnsq.ede(m), dnsq.ede(m)
        # the client timer, not the end of the resolution
        assert 0.25 < secs < 1.0, (secs, stale_events(r, 2))
        # dig, as users see it
        out = subprocess.run(["dig", "+tries=1", "+time=5", "@" + r.addr, "shop.com.", "A"],
                             capture_output=True, text=True, timeout=20).stdout
        assert "EDE: 3 (Stale Answer)" in out, out
        assert "shop.com.\t\t30\tIN\tA\t192.0.2.81" in out, out
        # traces: the first query, the stale one (written when its refresh ended), dig's
        texts = stale_events(r, 3)
        assert any(t.startswith("served stale: expired ") and
                   "refresh still under way after 3" in t for t in texts), texts
        assert "served stale: expired 1 s ago; refresh under way" in texts or \
            "served stale: expired 2 s ago; refresh under way" in texts, texts
        # the refresh failed: remembered, the next answers come at once, from no resolution
        t_fail = [t for t in stale_events(r, 3) if "refresh failed" in t]
        assert t_fail, stale_events(r, 3)
        m, secs = dnsq.ask_timed(r.addr, "shop.com.", "A", timeout=SLOW)
        assert dnsq.answer_ttl(m, "shop.com.") == 30 and secs < 1.0, (secs, dnsq.show(m))
        assert (3, "") in dnsq.ede(m)
        texts = stale_events(r, 4)
        assert any("refresh failed" in t and "next try in" in t for t in texts), texts


def test_stale_answer_when_refresh_fails(the_lab, start_rootwalkd):
    """The silent server is known (its timeout follows its RTT): the resolution fails before
    the client timer, and the client gets the expired record instead of SERVFAIL."""
    r = start_rootwalkd(extra="serve-expired: yes\ncache-max-ttl: 2\n")
    cache_then_expire(r)
    with the_lab.silenced("ns.webhost.com"):
        m = dnsq.ask(r.addr, "shop.com.", "A", timeout=SLOW)
        assert m.rcode() == dns.rcode.NOERROR and dnsq.addrs(m) == ["192.0.2.81"], dnsq.show(m)
        assert dnsq.answer_ttl(m, "shop.com.") == 30 and (3, "") in dnsq.ede(m)
        texts = stale_events(r, 2)
        assert any(t.startswith("served stale: expired ") and
                   "refresh failed because no reachable authority for shop.com." in t
                   for t in texts), texts


def test_no_stale_without_serve_expired(the_lab, start_rootwalkd):
    r = start_rootwalkd(extra="cache-max-ttl: 2\n")
    cache_then_expire(r)
    with the_lab.silenced("ns.webhost.com"):
        m = dnsq.ask(r.addr, "shop.com.", "A", timeout=SLOW)
        assert m.rcode() == dns.rcode.SERVFAIL, dnsq.show(m)
        assert all(code != 3 for code, _ in dnsq.ede(m))


def test_client_timeout_zero_answers_at_once(the_lab, start_rootwalkd):
    r = start_rootwalkd(extra="serve-expired: yes\nserve-expired-client-timeout: 0\n"
                        "cache-max-ttl: 2\n")
    cache_then_expire(r)
    with the_lab.silenced("ns.webhost.com"):
        m, secs = dnsq.ask_timed(r.addr, "shop.com.", "A", timeout=SLOW)
        assert dnsq.answer_ttl(m, "shop.com.") == 30 and (3, "") in dnsq.ede(m), dnsq.show(m)
        assert secs < 1.0, secs
