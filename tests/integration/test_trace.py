"""The per-query trace (see README "Trace format"): JSON events and the text form.

Each test starts its own rootwalkd, so the first query is really cold."""

import ipaddress
import json
import re
import socket
import time

import dns.message
import dns.rcode

from rwlab import dnsq
from rwlab.procs import read_text
from rwlab.traces import (TEXT_HEADER, events, norm_name, norm_type, nth, parse_iso, wait_text,
                          wait_trace)

ROOT_ADDRS = {"127.1.0.1", "127.1.0.2"}
COM_ADDRS = {"127.2.0.1"}
NET_ADDRS = {"127.2.0.2"}
DNSHOST_ADDRS = {"127.3.0.1", "127.3.0.2"}

REC_FIELDS = {"rr", "name", "type", "ttl", "orig_ttl", "stored", "expires", "expires_iso", "server",
              "addr", "zone", "cached"}


def udp_from(addr, wire, src="127.0.0.1"):
    """Send a query from a known source address and port; returns (reply message, port)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((src, 0))
        s.settimeout(dnsq.TIMEOUT)
        s.sendto(wire, (addr, 53))
        return dns.message.from_wire(s.recvfrom(65535)[0]), s.getsockname()[1]


def check_expiry(obj, ttl_field="ttl", slack=5):
    """expires (epoch s) and expires_iso agree, and expires is about now + ttl."""
    assert "expires" in obj and "expires_iso" in obj, "no expires/expires_iso in %r" % obj
    exp = float(obj["expires"])
    assert abs(parse_iso(obj["expires_iso"]) - exp) <= 1, obj
    if ttl_field in obj:
        assert abs(exp - (time.time() + float(obj[ttl_field]))) <= slack, \
            "expires %s is not now + %s s: %r" % (exp, obj[ttl_field], obj)


def check_rec(rec, cached):
    missing = REC_FIELDS - set(rec)
    assert not missing, "record lacks %s: %r" % (sorted(missing), rec)
    check_expiry(rec)
    assert rec["cached"] is cached, rec
    assert int(rec["ttl"]) <= int(rec["orig_ttl"])
    assert ipaddress.ip_address(rec["addr"])


def test_cold_query_walks_root_tld_authoritative(start_rootwalkd):
    r = start_rootwalkd()
    q = dnsq.make_query("www.video-platform.com.", "A")
    reply, port = udp_from(r.addr, q.to_wire())
    assert reply.rcode() == dns.rcode.NOERROR
    t = nth(r.trace_log, "www.video-platform.com.", "A")

    ids = {e["trace"] for e in t}
    assert len(ids) == 1 and re.fullmatch(r"[0-9a-f]{16}", ids.pop()), "bad trace id"
    assert t[0]["ev"] == "query", "first event is %r" % t[0]
    assert t[0]["client"] == "127.0.0.1#%d" % port, t[0]
    assert t[0]["proto"] == "udp"
    parse_iso(t[0]["time"])
    assert t[-1]["ev"] == "done", "last event is %r" % t[-1]

    sends = events(t, "send")
    assert sends, "no send events in a cold trace"
    for s in sends:
        for f in ("step", "zone", "server", "addr", "proto", "qname", "qtype"):
            assert f in s, "send event without %s: %r" % (f, s)
    path = [(norm_name(s["zone"]), s["addr"]) for s in sends]

    def first(zone, addrs):
        for i, (z, a) in enumerate(path):
            if z == zone and a in addrs:
                return i
        raise AssertionError("no query to zone %s at %s in %s" % (zone, sorted(addrs), path))

    i_root = first(".", ROOT_ADDRS)
    i_com = first("com.", COM_ADDRS)
    i_auth = first("video-platform.com.", DNSHOST_ADDRS)
    assert i_root < i_com < i_auth, "walk order wrong: %s" % path
    # The name servers of video-platform.com have no glue: their addresses were looked up
    # through net. and dnshost.net.
    first("net.", NET_ADDRS)
    first("dnshost.net.", DNSHOST_ADDRS)
    subs = events(t, "subresolve")
    assert any(norm_name(e["qname"]) in ("ns1.dnshost.net.", "ns2.dnshost.net.") for e in subs), \
        "no sub-resolution of ns1/ns2.dnshost.net: %r" % subs

    replies = events(t, "reply")
    assert replies, "no reply events"
    referrals = [e for e in replies if e.get("kind") == "referral"]
    to_zones = [norm_name(e.get("to_zone", "")) for e in referrals]
    assert "com." in to_zones and "video-platform.com." in to_zones, to_zones
    for e in referrals:
        for f in ("to_zone", "ns", "ttl", "glue"):
            assert f in e, "referral without %s: %r" % (f, e)
        check_expiry(e)
    vp = [e for e in referrals if norm_name(e["to_zone"]) == "video-platform.com."][0]
    assert vp["glue"] is False, "video-platform.com referral claims glue: %r" % vp
    assert sorted(norm_name(n) for n in vp["ns"]) == ["ns1.dnshost.net.", "ns2.dnshost.net."]
    # (com.'s server a.gtld-servers.net is out of com.'s bailiwick, so whether the root's glue
    # for it is used is the resolver's policy; only the type is checked.)
    assert all(isinstance(e["glue"], bool) for e in referrals), referrals
    for e in replies:
        for f in ("step", "rcode", "aa", "tc", "rtt_us", "bytes", "kind"):
            assert f in e, "reply without %s: %r" % (f, e)

    # Sub-resolutions have answers of their own (depth > 0); the client's is at depth 0.
    answers = events(t, "answer", depth=0)
    assert len(answers) == 1, answers
    a = answers[0]
    assert a["rcode"] == "NOERROR", a
    got = sorted((norm_name(x["name"]), norm_type(x["type"])) for x in a["records"])
    assert got == [("video-platform.com.", "A"), ("www.video-platform.com.", "CNAME")], got
    for rec in a["records"]:
        check_rec(rec, cached=False)
        assert rec["addr"] in DNSHOST_ADDRS, rec
        assert norm_name(rec["zone"]) == "video-platform.com.", rec
        assert int(rec["orig_ttl"]) == 300

    done = t[-1]
    assert done["rcode"] == "NOERROR"
    assert int(done["upstream"]) == len(sends), (done, len(sends))
    assert int(done["subresolutions"]) >= 1
    assert int(done["elapsed_us"]) > 0


def test_second_query_is_cache_hit(start_rootwalkd):
    r = start_rootwalkd()
    dnsq.ask(r.addr, "www.video-platform.com.", "A")
    nth(r.trace_log, "www.video-platform.com.", "A", 0)
    m = dnsq.ask(r.addr, "www.video-platform.com.", "A")
    assert m.rcode() == dns.rcode.NOERROR
    t = nth(r.trace_log, "www.video-platform.com.", "A", 1)
    assert not events(t, "send"), "second query went upstream: %r" % events(t, "send")
    hits = events(t, "cache_hit")
    assert hits, "no cache_hit event: %r" % t
    recs = [rec for h in hits for rec in h["records"]]
    assert sorted((norm_name(x["name"]), norm_type(x["type"])) for x in recs) == \
        [("video-platform.com.", "A"), ("www.video-platform.com.", "CNAME")], recs
    for rec in recs:
        check_rec(rec, cached=True)
    done = t[-1]
    assert done["ev"] == "done" and int(done["upstream"]) == 0 and int(done["cache_hits"]) >= 1


def test_nxdomain_trace(start_rootwalkd):
    r = start_rootwalkd()
    m = dnsq.ask(r.addr, "nope.video-platform.com.", "A")
    assert m.rcode() == dns.rcode.NXDOMAIN
    t = nth(r.trace_log, "nope.video-platform.com.", "A")
    assert any(e.get("kind") == "nxdomain" for e in events(t, "reply")), events(t, "reply")
    neg = events(t, "negative")
    assert neg and neg[0]["kind"] == "nxdomain", neg
    assert "video-platform.com" in neg[0]["soa"]
    check_expiry(neg[0])
    assert t[-1]["rcode"] == "NXDOMAIN"


def test_big_txt_upstream_tcp_fallback(start_rootwalkd):
    r = start_rootwalkd()
    m = dnsq.ask(r.addr, "big.video-platform.com.", "TXT", tcp=True)
    assert m.rcode() == dns.rcode.NOERROR and len(m.answer[0]) == 8
    t = nth(r.trace_log, "big.video-platform.com.", "TXT")
    seq = [(e["ev"], e.get("proto"), e.get("tc"), norm_name(e.get("zone", "")))
           for e in t if e["ev"] in ("send", "reply")]
    tc_at = [i for i, e in enumerate(t) if e["ev"] == "reply" and e.get("tc") is True]
    assert tc_at, "no truncated (tc) reply in the trace: %s" % seq
    later_tcp = [e for e in t[tc_at[0]:] if e["ev"] == "send" and e.get("proto") == "tcp"
                 and e["addr"] in DNSHOST_ADDRS]
    assert later_tcp, "no TCP retry after the TC reply: %s" % seq
    assert t[0]["proto"] == "tcp"


def test_trace_written_in_one_piece(start_rootwalkd):
    """Concurrent queries: each trace's events are contiguous lines (one write per query)."""
    r = start_rootwalkd()
    names = ["www.video-platform.com.", "www.example.net.", "feeds.news.org.",
             "cdn.video-platform.com.", "42.113.0.203.in-addr.arpa."]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(dnsq.TIMEOUT)
        for n in names:
            qt = "PTR" if n.endswith("arpa.") else "A"
            s.sendto(dnsq.make_query(n, qt).to_wire(), (r.addr, 53))
        for _ in names:
            s.recvfrom(65535)
    for n in names:
        assert wait_trace(r.trace_log, n, "PTR" if n.endswith("arpa.") else "A"), \
            "no trace for %s in %s" % (n, r.trace_log)
    order = []
    with open(r.trace_log) as f:
        for line in f:
            if line.strip():
                tid = json.loads(line)["trace"]
                if not order or order[-1] != tid:
                    order.append(tid)
    assert len(order) == len(set(order)), "trace lines interleaved: %s" % order


def test_lame_delegation_trace(start_rootwalkd):
    r = start_rootwalkd()
    m = dnsq.ask(r.addr, "www.lame.com.", "A")
    assert m.rcode() == dns.rcode.SERVFAIL
    t = nth(r.trace_log, "www.lame.com.", "A")
    lame = [e for e in events(t, "reply") if e.get("kind") in ("failed", "lame", "rejected")]
    assert lame, "the REFUSED reply of 127.3.2.1 is not explained: %r" % events(t, "reply")
    assert lame[0].get("reason"), lame[0]
    assert t[-1]["rcode"] == "SERVFAIL"


TEXT_STEP = re.compile(r'^;;\s+step (\d+\S*)\s+zone (\S+)\s+ask (\S+) \(([^)]+)\) (udp|tcp)\s+"(\S+) (\S+)"')
# The contract's footer; an rcode before the counts ("...: NOERROR, 7 upstream queries") is fine.
TEXT_DONE = re.compile(r"^;; done in [0-9.]+ ms: (?:[A-Z]+, )?(\d+) upstream quer(?:y|ies), "
                       r"(\d+) cache hits?, (\d+) sub-resolutions?")


def test_text_trace(start_rootwalkd):
    r = start_rootwalkd(trace_format="text")
    dnsq.ask(r.addr, "www.video-platform.com.", "A")
    dnsq.ask(r.addr, "www.video-platform.com.", "A")
    # both of the client's traces, complete (the sink writes them off the event loop)
    traces = wait_text(r.trace_log, "www.video-platform.com.", "A", count=2)
    text = read_text(r.trace_log)
    lines = [l for l in text.splitlines() if l.strip()]
    assert all(l.startswith(";; ") or l == ";;" for l in lines), \
        "lines not starting with ';; ': %r" % [l for l in lines if not l.startswith(";;")][:5]
    # The log may hold traces that no client asked for (priming the root): wait_text took the
    # client's.
    assert len(traces) == 2, "want 2 traces for www.video-platform.com. A:\n%s" % text[-3000:]
    for t in traces:
        h = TEXT_HEADER.match(t[0])
        assert h.group(6) == "A" and h.group(7) == "udp", t[0]
        assert h.group(3) == "127.0.0.1", t[0]
        parse_iso(h.group(2))
        assert [l for l in t if re.match(r"^;; answer NOERROR", l)], "no ';; answer NOERROR'"
        assert TEXT_DONE.match(t[-1]), "last line is not the footer: %r" % t[-1]
        assert re.search(r"www\.video-platform\.com\.?\s+\d+\s+(IN\s+)?CNAME", "\n".join(t))
        assert re.search(r"(cached until|expires) \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", "\n".join(t)), t
    cold, warm = traces
    steps = [TEXT_STEP.match(l) for l in cold if TEXT_STEP.match(l)]
    assert steps, "no ';; step N  zone Z  ask SERVER (ADDR) udp \"Q T\"' lines:\n%s" % "\n".join(cold)
    step_addrs = [s.group(4) for s in steps]
    assert set(step_addrs) & ROOT_ADDRS and set(step_addrs) & COM_ADDRS and \
        set(step_addrs) & DNSHOST_ADDRS, step_addrs
    assert any(re.match(r"^;;\s+<- ", l) for l in cold), "no ';;   <- ' reply lines"
    assert any("referral" in l and "com." in l for l in cold), "no referral to com. shown"
    assert not any(TEXT_STEP.match(l) for l in warm), "the second query asked upstream"
    assert any("cache hit" in l for l in warm), "no 'cache hit' in the second trace"
    # the records of a cache hit are listed once (fast path), the cold answer lists its own
    recs = [l for l in warm if re.match(r"^;;\s+\S+ \d+ IN ", l)]
    assert recs and len(recs) == len(set(recs)), "records listed twice:\n%s" % "\n".join(warm)
    assert any(re.match(r"^;; answer NOERROR for \S+  \(the records listed above\)$", l)
               for l in warm), warm
    # the client's answer was walked (a DS lookup of the validator may be a cache hit)
    assert not any(l.startswith(";; answer ") and "listed above" in l for l in cold)
    d_cold, d_warm = TEXT_DONE.match(cold[-1]), TEXT_DONE.match(warm[-1])
    assert int(d_cold.group(1)) >= 3 and int(d_warm.group(1)) == 0, (cold[-1], warm[-1])
