"""The trace log's filters (issue 6): trace-names, trace-clients, trace-only.

Each test starts its own rootwalkd (cold cache, JSON traces) with the filter under test, asks a
series of questions (each distinct, so a trace names its question), and then asks a last
question that the filter keeps: traces are written in the order the queries complete, so once
that last trace is in the log, any trace of an earlier question would be there too. The test
then compares the questions that were traced with the ones that should have been.
"""

import json
import re

import dns.rcode

from rwlab import dnsq, traces
from rwlab.traces import norm_name

SLOW = 6.0  # seconds a question may take when servers are silent


def ask_from(r, qname, qtype="A", source=None, **kw):
    """One question to rootwalkd r from a given source address (any 127/8 address, or an IPv6
    address on lo, then to r's IPv6 address): the client address the trace-clients filter
    sees."""
    addr = "2001:db8::53" if source and ":" in source else r.addr
    return dnsq.ask(addr, qname, qtype, source=source, **kw)


def traced(r, marker, qtype="A", timeout=SLOW):
    """Wait for the trace of marker (the last question, which the filter keeps), then return
    every traced client question in log order as (qname, qtype, client address, events)."""
    got = traces.wait_trace(r.trace_log, marker, qtype, timeout=timeout)
    assert got, "the last question %s %s (which the filter keeps) was not traced" % (marker, qtype)
    out = []
    for t in traces.read_json_traces(r.trace_log).values():
        q = [e for e in t if e["ev"] == "query"]
        if not q:
            continue
        client = q[0].get("client") or ""
        ip = client.rsplit("#", 1)[0] if "#" in client else ""
        out.append((norm_name(q[0]["qname"]), str(q[0]["qtype"]), ip, q[0].get("proto"), t))
    return out


def questions(tr, proto=("udp", "tcp")):
    """[(qname, qtype)] of the traced client questions (internal lookups left out)."""
    return [(n, t) for n, t, _, p, _ in tr if p in proto]


def done(t):
    d = [e for e in t if e["ev"] == "done"]
    assert d, "trace without done: %r" % t[-3:]
    return d[-1]




# -- trace-names ------------------------------------------------------------------------------

def test_trace_names_at_or_below_whole_labels(start_rootwalkd):
    """trace-names: video-platform.com, .net: questions for those names and below (any case)
    are traced, cache hits included; names that merely end in the same letters
    (xvideo-platform.com), names above (com.) and other zones are not."""
    r = start_rootwalkd(extra="trace-names: video-platform.com, .net\n")
    asked = [
        ("video-platform.com.", "A", True),
        ("video-platform.com.", "MX", True),
        ("WWW.Video-Platform.COM.", "A", True),
        ("xvideo-platform.com.", "A", False),       # NXDOMAIN at com.; not at a label boundary
        ("com.", "NS", False),                      # above the name
        ("shop.com.", "A", False),
        ("news.org.", "A", False),
        ("nope.video-platform.com.", "A", True),    # NXDOMAIN, still at or below
        ("edge.cdnhost.net.", "A", True),
        ("net.", "SOA", True),                      # ".net" is the name net. itself, too
        ("video-platform.com.", "A", True),         # a cache hit (the fast path): traced
        ("shop.com.", "A", False),                  # a cache hit, not traced
        ("ns1.dnshost.net.", "A", True),            # the last question: its trace ends the wait
    ]
    for qname, qtype, _ in asked:
        m = ask_from(r, qname, qtype)
        assert m.rcode() in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN), (qname, qtype, m)
    tr = traced(r, "ns1.dnshost.net.", "A")
    want = [(norm_name(n), t) for n, t, keep in asked if keep]
    assert questions(tr) == want, "traced %s\nwanted %s" % (questions(tr), want)
    # The daemon's own priming (". NS") is not at or below either name.
    internal = [(n, t, p) for n, t, ip, p, _ in tr if p not in ("udp", "tcp")]
    assert not internal, "traced, though not under trace-names: %s" % internal
    # A kept trace is complete: the walk of a cold name shows its steps.
    vp = [x[4] for x in tr if x[0] == "video-platform.com." and x[1] == "A"][0]
    assert [e for e in vp if e["ev"] == "send"], vp
    assert done(vp)["rcode"] == "NOERROR"


def test_trace_names_root_means_every_name(start_rootwalkd):
    r = start_rootwalkd(extra="trace-names: .\n")
    for qname in ("shop.com.", "news.org.", "video-platform.com."):
        ask_from(r, qname)
    tr = traced(r, "video-platform.com.")
    assert questions(tr) == [("shop.com.", "A"), ("news.org.", "A"),
                             ("video-platform.com.", "A")], questions(tr)


# -- trace-clients ----------------------------------------------------------------------------

def test_trace_clients_netblocks(the_lab, start_rootwalkd):
    """trace-clients: 127.0.0.96/30, 2001:db8::53/128: questions from 127.0.0.96..99 and from
    2001:db8::53 are traced; from 127.0.0.1, 127.0.0.95 and 127.0.0.100 not. The daemon's
    priming has no client and is not traced."""
    r = start_rootwalkd(extra="listen: 2001:db8::53@53\n"
                              "access-control: 2001:db8::53 allow\n"
                              "trace-clients: 127.0.0.96/30, 2001:db8::53/128\n")
    asked = [
        ("127.0.0.99", "video-platform.com.", True),
        ("127.0.0.1", "shop.com.", False),
        ("127.0.0.100", "news.org.", False),
        ("127.0.0.95", "example.org.", False),
        ("127.0.0.96", "mail.video-platform.com.", True),
        ("127.0.0.1", "video-platform.com.", False),     # the same name from outside: no trace
        ("2001:db8::53", "edge.cdnhost.net.", True),
        ("127.0.0.99", "shop.com.", True),               # a cache hit from inside: traced
    ]
    for src, qname, _ in asked:
        m = ask_from(r, qname, source=src)
        assert m.rcode() == dns.rcode.NOERROR, (src, qname, m)
    m = ask_from(r, "ns1.dnshost.net.", source="127.0.0.97", tcp=True)
    assert m.rcode() == dns.rcode.NOERROR
    tr = traced(r, "ns1.dnshost.net.")
    got = [(ip, n) for n, t, ip, p, _ in tr if p in ("udp", "tcp")]
    want = [(src, qname) for src, qname, keep in asked if keep]
    want.append(("127.0.0.97", "ns1.dnshost.net."))
    assert got == want, "traced %s\nwanted %s" % (got, want)
    # rootwalkd.conf(5): "Internal lookups (priming) have no client and are then not traced."
    internal = [(n, t, p) for n, t, ip, p, _ in tr if p not in ("udp", "tcp")]
    assert not internal, "traced without a client, despite trace-clients: %s" % internal


# -- trace-only -------------------------------------------------------------------------------

def test_trace_only_miss(start_rootwalkd):
    """trace-only: miss: questions that needed upstream queries are traced, answers straight
    from the cache are not (positive, CNAME and negative, over UDP and TCP)."""
    r = start_rootwalkd(extra="trace-only: miss\n")
    asked = [
        ("video-platform.com.", "A", False, True),        # cold: walks
        ("video-platform.com.", "A", False, False),       # cache hit
        ("video-platform.com.", "A", True, False),        # cache hit over TCP
        ("www.video-platform.com.", "A", False, True),    # the CNAME is not cached yet
        ("www.video-platform.com.", "A", False, False),   # CNAME and target from the cache
        ("nope.video-platform.com.", "A", False, True),   # NXDOMAIN, fetched
        ("nope.video-platform.com.", "A", False, False),  # NXDOMAIN from the cache
        ("mail.video-platform.com.", "A", False, True),   # a new name: from the cached cut
        ("txt-only.video-platform.com.", "A", False, True),   # NODATA, fetched
        ("txt-only.video-platform.com.", "A", False, False),  # NODATA from the cache
        ("shop.com.", "A", False, True),                  # the last question: walks
    ]
    for qname, qtype, tcp, _ in asked:
        m = ask_from(r, qname, qtype, tcp=tcp)
        assert m.rcode() in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN), (qname, m)
    tr = traced(r, "shop.com.")
    want = [(n, t) for n, t, _, keep in asked if keep]
    assert questions(tr) == want, "traced %s\nwanted %s" % (questions(tr), want)
    for n, t, ip, p, events in tr:
        assert int(done(events)["upstream"]) > 0, "%s %s traced without upstream queries" % (n, t)


def test_trace_only_fail(the_lab, start_rootwalkd):
    """trace-only: fail: questions answered SERVFAIL (both servers of allsilent.fault silent;
    lame.com's only server lame) or that met a timeout on the way (slow.fault answers after
    600 ms, past the first 400 ms timeout, and the retry succeeds) are traced; ordinary
    answers, NXDOMAIN and NODATA are not."""
    servers = [the_lab.start_fault_server("127.9.0.1", {"fault.": "fault.zone"}),
               the_lab.start_fault_server("127.9.2.1", {"allsilent.fault.": None},
                                          {"mode": "silent"}),
               the_lab.start_fault_server("127.9.2.2", {"allsilent.fault.": None},
                                          {"mode": "silent"}),
               the_lab.start_fault_server("127.9.4.1", {"slow.fault.": None}, {"delay_ms": 600})]
    try:
        r = start_rootwalkd(extra="trace-only: fail\nquery-budget: 3000\n")
        asked = [
            ("video-platform.com.", "A", "NOERROR", False),
            ("nope.video-platform.com.", "A", "NXDOMAIN", False),
            ("txt-only.video-platform.com.", "A", "NOERROR", False),
            ("www.slow.fault.", "A", "NOERROR", True),        # a timeout, then the answer
            ("www.allsilent.fault.", "A", "SERVFAIL", True),
            ("video-platform.com.", "A", "NOERROR", False),   # a cache hit
            ("www.lame.com.", "A", "SERVFAIL", True),         # the last question
        ]
        for qname, qtype, rcode, _ in asked:
            m = ask_from(r, qname, qtype, timeout=SLOW)
            assert dns.rcode.to_text(m.rcode()) == rcode, (qname, dnsq.rcode_text(m))
        tr = traced(r, "www.lame.com.")
    finally:
        for fs in servers:
            fs.stop()
    want = [(n, t) for n, t, _, keep in asked if keep]
    assert questions(tr) == want, "traced %s\nwanted %s" % (questions(tr), want)
    by_name = {n: events for n, t, ip, p, events in tr}
    slow = by_name["www.slow.fault."]
    assert [e for e in slow if e["ev"] == "timeout"], "no timeout in %r" % slow
    assert done(slow)["rcode"] == "NOERROR"
    for n in ("www.allsilent.fault.", "www.lame.com."):
        assert done(by_name[n])["rcode"] == "SERVFAIL", by_name[n][-1]
        assert [e for e in by_name[n] if e["ev"] == "fail"], "%s: no fail event" % n


# -- on demand, and reload ----------------------------------------------------------------------

def test_on_demand_trace_ignores_the_filters(start_ctl):
    """`rootwalk trace` returns the trace of a question the filters exclude (by name, client
    and outcome), and that trace does not go to the trace log."""
    c = start_ctl("trace-names: lame.com\ntrace-clients: 127.0.0.99\ntrace-only: fail\n")
    r = c.r
    text = c.ok("trace", "www.video-platform.com")
    assert re.search(r"^;; step \S+ +zone video-platform\.com\. +ask ", text, re.M), text
    assert ";; answer NOERROR" in text and "203.0.113.42" in text, text
    assert re.search(r"^;; done in ", text, re.M), text
    out = c.ok("trace", "video-platform.com", "MX", "--json")
    evs = [json.loads(line) for line in out.splitlines() if line.strip()]
    assert evs[0]["ev"] == "query" and evs[-1]["ev"] == "done", evs[:1] + evs[-1:]
    # A client question the filters keep, as the marker; then only it is in the log.
    m = ask_from(r, "www.lame.com.", source="127.0.0.99", timeout=SLOW)
    assert m.rcode() == dns.rcode.SERVFAIL
    tr = traced(r, "www.lame.com.")
    assert [(n, t) for n, t, ip, p, _ in tr] == [("www.lame.com.", "A")], \
        [(n, t, ip, p) for n, t, ip, p, _ in tr]


def test_reload_changes_the_filters(start_ctl):
    """`rootwalk reload` with a new trace-names applies it to the next questions."""
    c = start_ctl("trace-names: example.org\n")
    r = c.r
    ask_from(r, "shop.com.")
    ask_from(r, "example.org.")
    assert questions(traced(r, "example.org.")) == [("example.org.", "A")]
    with open(r.conf) as f:
        conf = f.read()
    with open(r.conf, "w") as f:
        f.write(conf.replace("trace-names: example.org\n", "trace-names: shop.com\n"))
    c.ok("reload")
    ask_from(r, "news.org.")
    ask_from(r, "www.example.org.")
    ask_from(r, "shop.com.")  # cached: traced now that shop.com is named
    assert questions(traced(r, "shop.com.")) == [("example.org.", "A"), ("shop.com.", "A")]
