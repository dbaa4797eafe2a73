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
    # One worker thread: the refresh under way and the failed refresh remembered are a
    # worker's own (as identical questions are joined per worker), and dig's question must
    # meet the same worker's.
    r = start_rootwalkd(extra="num-threads: 1\nserve-expired: yes\ncache-max-ttl: 2\n" +
                        SLOW_REFRESH)
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


def test_prefetch_refreshes_in_the_background(the_lab, start_ctl):
    """prefetch: yes; cache-max-ttl: 11 makes the last 10% of the TTL its last second: a hit
    then is answered from the cache (TTL 1) and starts one refresh; the next answer has the
    whole TTL again without a resolution of its own."""
    c = start_ctl(extra="prefetch: yes\ncache-max-ttl: 11\n")
    r = c.r
    m = dnsq.ask(r.addr, "shop.com.", "A", timeout=SLOW)
    assert dnsq.answer_ttl(m, "shop.com.") == 11, dnsq.show(m)
    time.sleep(5)
    m = dnsq.ask(r.addr, "shop.com.", "A", timeout=SLOW)  # half the TTL left: no prefetch
    assert c.stats()["prefetch.started"] == 0
    time.sleep(5.3)
    st0 = c.stats()
    m = dnsq.ask(r.addr, "shop.com.", "A", timeout=SLOW)
    assert m.rcode() == dns.rcode.NOERROR and dnsq.answer_ttl(m, "shop.com.") == 1, \
        dnsq.show(m)
    st = c.stats()
    assert st["prefetch.started"] == 1, st
    assert st["cache.hits"] == st0["cache.hits"] + 1
    ts = traces.wait_trace(r.trace_log, "shop.com.", "A", count=4, timeout=SLOW)
    texts = [e.get("text", "") for t in ts for e in t if e["ev"] == "prefetch"]
    assert "prefetch started: 1 s of 11 s left" in texts, texts
    assert any(t.startswith("prefetch: refreshing in the background") for t in texts), texts
    time.sleep(0.5)  # the refresh ends (the lab answers in a few ms)
    m = dnsq.ask(r.addr, "shop.com.", "A", timeout=SLOW)
    assert dnsq.answer_ttl(m, "shop.com.") >= 10, dnsq.show(m)
    st2 = c.stats()
    assert st2["cache.misses"] == st["cache.misses"], (st, st2)
    assert st2["prefetch.started"] == 1
