"""The cache stories of issue 3, told by a real rootwalkd against the lab's NSD servers.

Each test starts its own rootwalkd (a cold cache). Zones are changed in the lab's private copy
(never in zones/): the test edits it, the NSD servers reload it, and the original data is put
back afterwards. TTLs are made short in that copy so that a story takes seconds, not minutes.
"""

import re
import time

import dns.rcode

from rwlab import dnsq
from rwlab.dnsq import addrs, answer_ttl
from rwlab.traces import (brief, events, norm_name, norm_type, nth, parse_iso, text_done,
                          wait_text)
from rwlab.zonefiles import set_rrset, set_soa

VP = "video-platform.com."
DNSHOST_ADDRS = {"127.3.0.1", "127.3.0.2"}
DNSHOST_NAMES = {"ns1.dnshost.net.", "ns2.dnshost.net."}
ROOT_ADDRS = {"127.1.0.1", "127.1.0.2"}


def check_rec_provenance(rec, name, rdtype, stored_at, ttl, server_names, server_addrs, zone,
                         cached):
    """A trace record says who supplied it, when it was stored and when it expires."""
    assert norm_name(rec["name"]) == norm_name(name) and norm_type(rec["type"]) == rdtype, rec
    assert rec["cached"] is cached, rec
    assert norm_name(rec["server"]) in server_names, rec
    assert rec["addr"] in server_addrs, rec
    assert norm_name(rec["zone"]) == norm_name(zone), rec
    assert int(rec["orig_ttl"]) == ttl, rec
    stored = float(rec["stored"])
    assert abs(stored - stored_at) <= 1.5, "stored %s, expected about %s: %r" % (
        stored, stored_at, rec)
    expires = float(rec["expires"])
    assert abs(expires - (stored + ttl)) <= 1, "expires %s is not stored + %d: %r" % (
        expires, ttl, rec)
    assert abs(parse_iso(rec["expires_iso"]) - expires) <= 1, rec
    assert 0 <= int(rec["ttl"]) <= ttl, rec


# -- propagation ----------------------------------------------------------------------------------

SHORT = 4  # seconds: the TTL the story's A record gets in the lab's copy of the zone


def test_propagation_old_address_from_cache_until_ttl(the_lab, start_rootwalkd):
    """video-platform.com. A changes at the authoritative servers: rootwalkd keeps serving the
    old address from its cache, with a TTL counting down and a trace saying where it came from,
    when it was stored and when it expires; after the TTL the new address is fetched."""
    with the_lab.zone_edits(VP) as change:
        change(lambda z: set_rrset(z, VP, "A", SHORT, "203.0.113.42"))
        r = start_rootwalkd()
        t0 = time.time()
        m = dnsq.ask(r.addr, VP, "A")
        assert addrs(m) == ["203.0.113.42"], m
        assert answer_ttl(m, VP) <= SHORT
        first = nth(r.trace_log, VP, "A", 0)
        assert events(first, "send"), "the cold query sent nothing upstream:\n" + brief(first)

        change(lambda z: set_rrset(z, VP, "A", SHORT, "203.0.113.43"))
        for addr in DNSHOST_ADDRS:
            direct = dnsq.ask(addr, VP, "A", rd=False)
            assert addrs(direct) == ["203.0.113.43"], "NSD %s did not reload" % addr

        time.sleep(max(0.0, t0 + 1.2 - time.time()))
        m = dnsq.ask(r.addr, VP, "A")
        assert addrs(m) == ["203.0.113.42"], \
            "the cached address was not served before its TTL ran out: %s" % m.answer
        ttl = answer_ttl(m, VP)
        assert ttl <= SHORT - 1, "TTL %d did not count down from %d after 1.2 s" % (ttl, SHORT)
        second = nth(r.trace_log, VP, "A", 1)
        assert not events(second, "send"), "the cached answer went upstream:\n" + brief(second)
        hits = events(second, "cache_hit")
        assert hits, "no cache_hit event:\n" + brief(second)
        recs = [rec for h in hits for rec in h["records"] if norm_type(rec["type"]) == "A"]
        assert len(recs) == 1 and recs[0]["rr"].split()[-1] == "203.0.113.42", recs
        check_rec_provenance(recs[0], VP, "A", t0, SHORT, DNSHOST_NAMES, DNSHOST_ADDRS, VP,
                             cached=True)
        assert int(recs[0]["ttl"]) == ttl, "trace ttl %s, client saw %d" % (recs[0]["ttl"], ttl)
        done = second[-1]
        assert done["ev"] == "done" and int(done["upstream"]) == 0, done

        expires = float(recs[0]["expires"])
        time.sleep(max(0.0, expires - time.time() + 0.3))
        m = dnsq.ask(r.addr, VP, "A")
        assert addrs(m) == ["203.0.113.43"], \
            "after the TTL the old address is still served: %s" % m.answer
        third = nth(r.trace_log, VP, "A", 2)
        sends = events(third, "send")
        assert sends and all(e["addr"] in DNSHOST_ADDRS for e in sends), \
            "the fresh walk should ask only the zone's servers (the delegation is cached):\n" + \
            brief(third)
        cuts = events(third, "cut", depth=0)
        assert cuts and norm_name(cuts[0]["zone"]) == VP and cuts[0]["source"] == "cache", \
            "the fresh walk does not start at the cached video-platform.com. cut:\n" + brief(third)
        ans = events(third, "answer", depth=0)[0]
        rec = [x for x in ans["records"] if norm_type(x["type"]) == "A"][0]
        check_rec_provenance(rec, VP, "A", time.time(), SHORT, DNSHOST_NAMES, DNSHOST_ADDRS, VP,
                             cached=False)


TEXT_HIT = re.compile(r"^;;\s+(\S+)\s+(\d+)\s+(?:IN\s+)?A\s+(\S+)\s+; cached, stored (\S+) from "
                      r"(\S+) \((\S+)\) zone (\S+), original ttl (\d+), expires (\S+)")


def test_propagation_text_trace(the_lab, start_rootwalkd):
    """The same story in the text trace: the cache hit line names the server, the time the
    record was stored, its original TTL and when it expires."""
    with the_lab.zone_edits(VP) as change:
        change(lambda z: set_rrset(z, VP, "A", SHORT, "203.0.113.42"))
        r = start_rootwalkd(trace_format="text")
        t0 = time.time()
        dnsq.ask(r.addr, VP, "A")
        change(lambda z: set_rrset(z, VP, "A", SHORT, "203.0.113.43"))
        m = dnsq.ask(r.addr, VP, "A")
        assert addrs(m) == ["203.0.113.42"], m.answer
        # Both traces whole, up to their footer: the daemon writes batches while this reads,
        # and a read can end in the middle of one.
        got = wait_text(r.trace_log, VP, "A", count=2)
        assert len(got) == 2 and all(text_done(t) for t in got), \
            "want 2 whole traces of the client's question:\n%s" % got
        warm = "\n".join(got[1])
        assert "cache hit" in warm, warm
        hit = [TEXT_HIT.match(l) for l in warm.splitlines() if TEXT_HIT.match(l)]
        assert hit, "no record line with provenance in the cache hit:\n" + warm
        name, ttl, addr, stored, server, saddr, zone, orig, expires = hit[0].groups()
        assert addr == "203.0.113.42" and int(orig) == SHORT and int(ttl) <= SHORT, warm
        assert server.rstrip(".") + "." in DNSHOST_NAMES and saddr in DNSHOST_ADDRS, warm
        assert norm_name(zone) == VP, warm
        assert abs(parse_iso(stored) - t0) <= 1.5, (stored, t0)
        assert abs(parse_iso(expires) - (parse_iso(stored) + SHORT)) <= 1, (stored, expires)


# -- negative caching -----------------------------------------------------------------------------

NEG = 3  # seconds: SOA TTL and MINIMUM in the lab's copy, so the negative TTL is 3


def test_negative_answer_cached_for_soa_time(the_lab, start_rootwalkd):
    """An NXDOMAIN is cached for min(SOA TTL, SOA MINIMUM); the name is added at the server
    meanwhile; rootwalkd says NXDOMAIN from its cache until the negative entry expires, then
    the name resolves."""
    name = "fresh.video-platform.com."
    with the_lab.zone_edits(VP) as change:
        change(lambda z: set_soa(z, NEG + 2, minimum=NEG))
        r = start_rootwalkd()
        t0 = time.time()
        m = dnsq.ask(r.addr, name, "A")
        assert m.rcode() == dns.rcode.NXDOMAIN, dnsq.rcode_text(m)
        first = nth(r.trace_log, name, "A", 0)
        neg = events(first, "negative")
        assert neg, "no negative event:\n" + brief(first)
        neg = neg[0]
        assert neg["kind"] == "nxdomain", neg
        assert int(neg["ttl"]) == NEG, "negative ttl %s, SOA says %d: %r" % (neg["ttl"], NEG, neg)
        assert "video-platform.com" in neg["soa"] and " SOA " in " %s " % neg["soa"], neg
        assert abs(float(neg["expires"]) - (t0 + NEG)) <= 1.5, neg
        assert abs(parse_iso(neg["expires_iso"]) - float(neg["expires"])) <= 1, neg

        change(lambda z: set_rrset(z, name, "A", 300, "203.0.113.90"))
        m = dnsq.ask(r.addr, name, "A")
        assert m.rcode() == dns.rcode.NXDOMAIN, \
            "the negative entry was not used before it expired: %s" % dnsq.rcode_text(m)
        soa = dnsq.soa_in_authority(m)
        assert soa and soa[0].ttl <= NEG, "SOA in the cached NXDOMAIN: %s" % soa
        second = nth(r.trace_log, name, "A", 1)
        assert not events(second, "send"), "went upstream:\n" + brief(second)
        hits = events(second, "cache_hit")
        assert hits and any(norm_type(x["type"]) == "SOA" for h in hits for x in h["records"]), \
            "the cache hit does not show the SOA that set the negative TTL:\n" + brief(second)
        assert second[-1]["rcode"] == "NXDOMAIN"

        time.sleep(max(0.0, float(neg["expires"]) - time.time() + 0.3))
        m = dnsq.ask(r.addr, name, "A")
        assert m.rcode() == dns.rcode.NOERROR and addrs(m) == ["203.0.113.90"], \
            "after the negative TTL: %s %s" % (dnsq.rcode_text(m), m.answer)
        third = nth(r.trace_log, name, "A", 2)
        assert events(third, "send"), "no fresh query after expiry:\n" + brief(third)


# -- the cached TLD delegation -------------------------------------------------------------------

def test_second_name_under_tld_starts_at_cached_delegation(start_rootwalkd):
    """After one name under com., a second one starts from the cached com. delegation: the
    trace names that cut, says it came from the cache and when it expires, and no root server
    is asked (not even for name server addresses)."""
    r = start_rootwalkd()
    m = dnsq.ask(r.addr, VP, "A")
    assert m.rcode() == dns.rcode.NOERROR
    first = nth(r.trace_log, VP, "A", 0)
    assert any(e["addr"] in ROOT_ADDRS for e in events(first, "send")), \
        "the cold query did not start at the root:\n" + brief(first)
    m = dnsq.ask(r.addr, "shop.com.", "A")
    assert m.rcode() == dns.rcode.NOERROR and m.answer
    t = nth(r.trace_log, "shop.com.", "A", 0)
    sends = events(t, "send")
    assert sends, "nothing sent for shop.com.:\n" + brief(t)
    assert not [e for e in sends if e["addr"] in ROOT_ADDRS], \
        "a root server was asked although com. is cached:\n" + brief(t)
    assert norm_name(sends[0]["zone"]) == "com." and sends[0]["addr"] == "127.2.0.1", brief(t)
    cuts = events(t, "cut", depth=0)
    assert cuts, "no cut event:\n" + brief(t)
    cut = cuts[0]
    assert norm_name(cut["zone"]) == "com." and cut["source"] == "cache", cut
    now = time.time()
    assert now < float(cut["expires"]) <= now + 172800 + 2, cut
    assert abs(parse_iso(cut["expires_iso"]) - float(cut["expires"])) <= 1, cut


# -- ranking: glue is not an answer ---------------------------------------------------------------

GLUEPLUS_NS = "ns.glueplus.net."
CHILD_SET = ["127.3.4.1", "127.3.4.2"]  # the child's authoritative A set; the parent's glue: .1


def test_glue_is_never_the_answer(start_rootwalkd):
    """The referral from net. carries glue for ns.glueplus.net (127.3.4.1 only). Asked for
    that name's address, rootwalkd asks the child zone and answers with the authoritative set
    (both addresses), not with the cached glue."""
    r = start_rootwalkd()
    m = dnsq.ask(r.addr, "www.glueplus.net.", "A")
    assert addrs(m) == ["198.51.100.80"], m.answer
    t = nth(r.trace_log, "www.glueplus.net.", "A", 0)
    ref = [e for e in events(t, "reply") if e.get("kind") == "referral"
           and norm_name(e["to_zone"]) == "glueplus.net."]
    assert ref and ref[0]["glue"] is True, "no referral with glue to glueplus.net.:\n" + brief(t)

    m = dnsq.ask(r.addr, GLUEPLUS_NS, "A")
    assert addrs(m) == CHILD_SET, "glue served as the answer? got %s, the child has %s" % (
        addrs(m), CHILD_SET)
    assert answer_ttl(m, GLUEPLUS_NS) > 2, "answer TTL is the glue's (2 s)"
    t = nth(r.trace_log, GLUEPLUS_NS, "A", 0)
    assert [e for e in events(t, "send") if e["addr"] in CHILD_SET], \
        "the child zone was not asked:\n" + brief(t)
    ans = events(t, "answer", depth=0)[0]
    for rec in ans["records"]:
        assert int(rec["orig_ttl"]) == 3600 and rec["cached"] is False, rec


def test_glue_does_not_replace_authoritative_set(start_rootwalkd):
    """The authoritative A set of ns.glueplus.net is cached first; then the delegation expires
    and a new referral brings the parent's glue again. The cached answer is still the child's
    set with the child's TTL, served from the cache."""
    r = start_rootwalkd()
    m = dnsq.ask(r.addr, GLUEPLUS_NS, "A")
    assert addrs(m) == CHILD_SET, m.answer
    t0 = time.time()
    time.sleep(2.5)  # the delegation (NS and glue, TTL 2) expires
    m = dnsq.ask(r.addr, "www.glueplus.net.", "A")
    assert addrs(m) == ["198.51.100.80"], m.answer
    t = nth(r.trace_log, "www.glueplus.net.", "A", 0)
    ref = [e for e in events(t, "reply") if e.get("kind") == "referral"
           and norm_name(e["to_zone"]) == "glueplus.net."]
    assert ref, "the expired delegation was not fetched again (no referral):\n" + brief(t)

    m = dnsq.ask(r.addr, GLUEPLUS_NS, "A")
    assert addrs(m) == CHILD_SET, \
        "after the glue came again: %s (the child has %s)" % (addrs(m), CHILD_SET)
    ttl = answer_ttl(m, GLUEPLUS_NS)
    assert 3600 - 10 <= ttl <= 3600 - 2, "TTL %d is not the child's 3600 counted down" % ttl
    t = nth(r.trace_log, GLUEPLUS_NS, "A", 1)
    assert not events(t, "send"), "the authoritative set was not served from cache:\n" + brief(t)
    recs = [rec for h in events(t, "cache_hit") for rec in h["records"]]
    assert sorted(rec["rr"].split()[-1] for rec in recs) == CHILD_SET, recs
    for rec in recs:
        check_rec_provenance(rec, GLUEPLUS_NS, "A", t0, 3600, {GLUEPLUS_NS}, set(CHILD_SET),
                             "glueplus.net.", cached=True)

