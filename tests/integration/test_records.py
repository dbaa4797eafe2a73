"""Answers to stub clients: every record type, header bits, negative answers, CNAMEs, the no-glue
delegation, TCP, the large TXT set and TTLs counting down. Expected data comes from zones/."""

import struct
import time

import dns.flags
import dns.message
import dns.query
import dns.rdata
import dns.rcode
import dns.rdatatype
import pytest

from rwlab import dnsq, traces
from rwlab.dnsq import ask, rrsets, show_rrsets, soa_in_authority
from rwlab.zonefiles import zone_rdataset

# (owner, type) pairs whose answer must be exactly the zone's rdataset.
RECORD_TYPES = [
    ("video-platform.com.", "A"),
    ("video-platform.com.", "AAAA"),
    ("video-platform.com.", "NS"),
    ("video-platform.com.", "MX"),
    ("video-platform.com.", "TXT"),
    ("www.video-platform.com.", "CNAME"),
    ("video-platform.com.", "SOA"),
    ("42.113.0.203.in-addr.arpa.", "PTR"),
    ("_sip._tcp.video-platform.com.", "SRV"),
    ("video-platform.com.", "CAA"),
    ("odd.video-platform.com.", "TYPE65400"),
]


@pytest.mark.parametrize("owner,rdtype", RECORD_TYPES, ids=["%s-%s" % (t, o) for o, t in RECORD_TYPES])
def test_record_type(resolver, zones, owner, rdtype):
    r = ask(resolver.addr, owner, rdtype)
    assert r.rcode() == dns.rcode.NOERROR, "%s %s: rcode %s" % (owner, rdtype, dnsq.rcode_text(r))
    got = rrsets(r.answer)
    want = {(owner.lower(), rdtype): zone_rdataset(zones, owner, rdtype)}
    assert got == want, "%s %s: expected %s, got %s" % (owner, rdtype, show_rrsets(want),
                                                          show_rrsets(got))


def test_story_values(resolver):
    """The numbers the issue names, spelled out (not only 'whatever the zone says')."""
    r = ask(resolver.addr, "video-platform.com.", "A")
    assert [rr.to_text() for rrset in r.answer for rr in rrset] == ["203.0.113.42"]
    assert r.answer[0].ttl <= 300
    r = ask(resolver.addr, "video-platform.com.", "AAAA")
    assert [rr.to_text() for rrset in r.answer for rr in rrset] == ["2001:db8::1"]
    r = ask(resolver.addr, "video-platform.com.", "TXT")
    assert any("v=spf1" in rr.to_text() for rrset in r.answer for rr in rrset)
    r = ask(resolver.addr, "42.113.0.203.in-addr.arpa.", "PTR")
    assert [rr.to_text() for rrset in r.answer for rr in rrset] == ["video-platform.com."]


def test_header_bits_and_question(resolver):
    """RA set, RD copied, QR set, ID and question echoed (byte for byte, case preserved)."""
    q = dnsq.make_query("wWw.Video-PlatForm.COM.", "A", rd=True)
    wire = q.to_wire()
    reply = dnsq.udp_exchange(resolver.addr, wire, wait=dnsq.TIMEOUT)
    assert reply is not None, "no reply"
    r = dns.message.from_wire(reply)
    assert r.id == q.id
    assert r.flags & dns.flags.QR
    assert r.flags & dns.flags.RA, "RA not set"
    assert r.flags & dns.flags.RD, "RD not copied"
    assert struct.unpack("!H", reply[4:6])[0] == 1, "QDCOUNT != 1"
    qlen = len(b"".join([b"\x03wWw", b"\x0eVideo-PlatForm", b"\x03COM", b"\x00"])) + 4
    assert reply[12:12 + qlen] == wire[12:12 + qlen], "question not echoed byte for byte"
    assert r.rcode() == dns.rcode.NOERROR


def test_rd_clear_is_copied(resolver):
    q = dnsq.make_query("video-platform.com.", "A", rd=False)
    reply = dnsq.udp_exchange(resolver.addr, q.to_wire(), wait=dnsq.TIMEOUT)
    assert reply is not None, "no reply to an RD=0 query"
    r = dns.message.from_wire(reply)
    assert r.id == q.id
    assert not (r.flags & dns.flags.RD), "RD set in the reply to an RD=0 query"
    assert r.flags & dns.flags.RA


@pytest.mark.parametrize("qtype,rcode", [("AXFR", "REFUSED"), ("IXFR", "REFUSED"),
                                         ("OPT", "FORMERR"), ("TSIG", "FORMERR"),
                                         ("TKEY", "FORMERR"), ("MAILA", "FORMERR"),
                                         ("MAILB", "FORMERR"), ("TYPE128", "FORMERR"),
                                         ("TYPE248", "FORMERR")])
def test_transfers_refused_meta_types_formerr(resolver, qtype, rcode):
    """Zone transfers are REFUSED; meta-types (RFC 6895 3.1) are FORMERR, as Unbound answers,
    with the question echoed. Nothing is resolved for them."""
    r = dnsq.ask(resolver.addr, "video-platform.com.", qtype)
    assert dns.rcode.to_text(r.rcode()) == rcode
    assert not r.answer and not r.authority
    assert [(q.name.to_text(), dns.rdatatype.to_text(q.rdtype)) for q in r.question] == [
        ("video-platform.com.", qtype)]


@pytest.mark.parametrize("qtype", ["TYPE127", "ANY", "TYPE256"])
def test_types_next_to_the_meta_range_are_asked(resolver, qtype):
    """The type just below the meta-type range, ANY, and the first type above 255 are not
    refused: the walk answers them (NOERROR: NODATA, or for ANY what the zone has)."""
    r = dnsq.ask(resolver.addr, "video-platform.com.", qtype)
    assert r.rcode() == dns.rcode.NOERROR


@pytest.mark.parametrize("do", [True, False])
def test_do_bit_copied(start_rootwalkd, do):
    """RFC 3225 3: the DO bit of the query is copied into the response, when the answer is
    resolved, when it comes from the cache, and for an NXDOMAIN."""
    r = start_rootwalkd()
    for name in ["www.example.org.", "www.example.org.", "nope.example.org."]:
        q = dns.message.make_query(name, "A", use_edns=0, want_dnssec=do)
        m = dns.query.udp(q, r.addr, timeout=dnsq.TIMEOUT)
        assert m.edns == 0
        assert bool(m.ednsflags & dns.flags.DO) == do, "%s: DO %s in the reply" % (
            name, not do)


def test_special_use_names_answered_locally(start_rootwalkd):
    """localhost., invalid., the private reverse zones... (RFC 6761, 6303, 7686, 8375) are
    answered at once with AA and never sent upstream; the trace says which zone and why.
    With local-zones: no they go to the root like any other name."""
    r = start_rootwalkd()
    m = dnsq.ask(r.addr, "localhost.", "A")
    assert m.flags & dns.flags.AA
    assert [rr.to_text() for rrset in m.answer for rr in rrset] == ["127.0.0.1"]
    m = dnsq.ask(r.addr, "x.invalid.", "A")
    assert m.rcode() == dns.rcode.NXDOMAIN
    assert [s.name.to_text() for s in soa_in_authority(m)] == ["invalid."]
    m = dnsq.ask(r.addr, "1.1.168.192.in-addr.arpa.", "PTR")
    assert m.rcode() == dns.rcode.NXDOMAIN
    assert [s.name.to_text() for s in soa_in_authority(m)] == ["168.192.in-addr.arpa."]
    for name, qtype, zone in [("localhost.", "A", "localhost."), ("x.invalid.", "A", "invalid."),
                              ("1.1.168.192.in-addr.arpa.", "PTR", "168.192.in-addr.arpa.")]:
        t = traces.wait_trace(r.trace_log, name, qtype)
        assert t, "no trace for %s" % name
        local = [e for e in t[-1] if e["ev"] == "local"]
        assert local and local[0]["zone"] == zone and local[0]["rfc"].startswith("RFC"), t[-1]
        assert not [e for e in t[-1] if e["ev"] == "send"], "%s went upstream" % name
    off = start_rootwalkd(extra="local-zones: no\n")
    m = dnsq.ask(off.addr, "localhost.", "A")
    assert m.rcode() == dns.rcode.NXDOMAIN and not (m.flags & dns.flags.AA)
    t = traces.wait_trace(off.trace_log, "localhost.", "A")
    assert t and [e for e in t[-1] if e["ev"] == "send"], "local-zones: no, yet not asked"


def authority_ns(m):
    """{zone: [server names]} of the NS RRsets in the authority section."""
    return dict((rrset.name.to_text().lower(), sorted(r.target.to_text() for r in rrset))
                for rrset in m.authority if rrset.rdtype == dns.rdatatype.NS)


def test_rd_clear_answers_from_the_cache_or_refers(start_rootwalkd):
    """RD=0 (RFC 1034 4.3.1): what the cache holds, never a resolution. A name not cached gets a
    referral to the closest cached cut (its NS set, the servers' cached addresses); once an RD=1
    query has resolved it, the cached answer; DS is referred to the parent side of the cut. The
    trace says so. (access-control allow_snoop: loopback's default, allow, refuses RD=0 as
    Unbound does; test_access.py checks that.)"""
    r = start_rootwalkd(extra="access-control: 127.0.0.0/8 allow_snoop\n")
    # the root NS set must be primed first: before that there is nothing to refer to (REFUSED)
    assert traces.wait_trace(r.trace_log, ".", "NS"), "rootwalkd did not prime the root NS set"
    cold = ask(r.addr, "www.example.org.", rd=False)
    assert cold.rcode() == dns.rcode.NOERROR and not cold.answer
    assert not (cold.flags & dns.flags.AA) and not (cold.flags & dns.flags.RD)
    assert authority_ns(cold) == {".": ["a.root-servers.net.", "b.root-servers.net."]}
    # asked again: still not resolved, so nothing was resolved the first time either
    assert not ask(r.addr, "www.example.org.", rd=False).answer
    warm = dnsq.ask(r.addr, "www.example.org.", "A")
    assert [rr.to_text() for rrset in warm.answer for rr in rrset] == ["192.0.2.11"]
    cached = ask(r.addr, "www.example.org.", rd=False)
    assert [rr.to_text() for rrset in cached.answer for rr in rrset] == ["192.0.2.11"]
    assert 0 < cached.answer[0].ttl <= 3600
    below = ask(r.addr, "nope.example.org.", rd=False)
    assert not below.answer and authority_ns(below) == {"example.org.": ["ns1.example.org."]}
    assert [(rrset.name.to_text(), rr.to_text()) for rrset in below.additional for rr in rrset
            if rrset.rdtype == dns.rdatatype.A] == [("ns1.example.org.", "127.3.2.1")]
    # news.org. is not cached: its DS question is referred to the parent side, org.
    ds = ask(r.addr, "news.org.", "DS", rd=False)
    assert not ds.answer and list(authority_ns(ds)) == ["org."]
    # example.org.'s DS was fetched (and validated) for the chain of trust: the cache has it
    ds = ask(r.addr, "example.org.", "DS", rd=False)
    assert [rrset.rdtype for rrset in ds.answer] == [dns.rdatatype.DS], ds
    t = traces.wait_trace(r.trace_log, "nope.example.org.", "A")
    assert t, "no trace for the RD=0 query"
    norec = [e for e in t[-1] if e["ev"] == "norec"]
    assert norec and norec[0]["zone"] == "example.org.", t[-1]
    assert not [e for e in t[-1] if e["ev"] == "send"], "an RD=0 query went upstream"


@pytest.mark.parametrize("qname,qtype", [("nope.video-platform.com.", "A"),
                                         ("does-not-exist.video-platform.com.", "AAAA"),
                                         ("nothing.example.org.", "MX")])
def test_nxdomain(resolver, qname, qtype):
    r = ask(resolver.addr, qname, qtype)
    assert r.rcode() == dns.rcode.NXDOMAIN, "%s %s: rcode %s" % (qname, qtype, dnsq.rcode_text(r))
    assert not r.answer, "NXDOMAIN with an answer: %s" % r.answer
    soa = soa_in_authority(r)
    zone = qname.split(".", 1)[1]
    assert [s.name.to_text().lower() for s in soa] == [zone], \
        "%s %s: want the SOA of %s in authority, got %s" % (qname, qtype, zone, r.authority)
    assert soa[0].ttl <= 300  # the SOA minimum (negative TTL) of the lab zones


@pytest.mark.parametrize("qname,qtype", [("txt-only.video-platform.com.", "A"),
                                         ("mail-only.video-platform.com.", "AAAA"),
                                         ("video-platform.com.", "SRV"),
                                         ("www.example.org.", "TXT")])
def test_nodata(resolver, qname, qtype):
    r = ask(resolver.addr, qname, qtype)
    assert r.rcode() == dns.rcode.NOERROR, "%s %s: rcode %s" % (qname, qtype, dnsq.rcode_text(r))
    assert not r.answer, "%s %s: NODATA expected, got %s" % (qname, qtype, r.answer)
    soa = soa_in_authority(r)
    assert len(soa) == 1, "%s %s: no SOA in authority: %s" % (qname, qtype, r.authority)
    assert qname.lower().endswith(soa[0].name.to_text().lower())


@pytest.mark.parametrize("qname,chain,final", [
    ("cdn.video-platform.com.", ["cdn.video-platform.com.", "edge.cdnhost.net."],
     {"198.51.100.10", "198.51.100.11"}),
    ("chain.video-platform.com.",
     ["chain.video-platform.com.", "cdn.video-platform.com.", "edge.cdnhost.net."],
     {"198.51.100.10", "198.51.100.11"}),
    ("shop.video-platform.com.", ["shop.video-platform.com.", "shop.com."], {"192.0.2.81"}),
    ("www.video-platform.com.", ["www.video-platform.com.", "video-platform.com."],
     {"203.0.113.42"}),
])
def test_cname_across_zones(resolver, qname, chain, final):
    r = ask(resolver.addr, qname, "A")
    assert r.rcode() == dns.rcode.NOERROR, "%s: rcode %s" % (qname, dnsq.rcode_text(r))
    got = rrsets(r.answer)
    want = {}
    for a, b in zip(chain, chain[1:]):
        want[(a, "CNAME")] = frozenset([dns.rdata.from_text("IN", "CNAME", b)])
    want[(chain[-1], "A")] = frozenset(dns.rdata.from_text("IN", "A", a) for a in final)
    assert got == want, "%s A: expected %s, got %s" % (qname, show_rrsets(want), show_rrsets(got))
    # The chain comes in order: each CNAME before its target's records.
    order = [rrset.name.to_text().lower() for rrset in r.answer]
    assert order == chain, "answer order %s, expected %s" % (order, chain)


@pytest.mark.parametrize("qname,addr", [("video-platform.com.", "203.0.113.42"),
                                        ("www.example.net.", "192.0.2.100"),
                                        ("feeds.news.org.", "192.0.2.91")])
def test_no_glue_delegation(resolver, qname, addr):
    """Zones whose name servers live under another TLD: no glue; the NS addresses must be
    resolved by the resolver itself."""
    r = ask(resolver.addr, qname, "A")
    assert r.rcode() == dns.rcode.NOERROR, "%s: rcode %s" % (qname, dnsq.rcode_text(r))
    assert [rr.to_text() for rrset in r.answer for rr in rrset] == [addr]


def test_lame_delegation_servfail(resolver):
    r = ask(resolver.addr, "www.lame.com.", "A")
    assert r.rcode() == dns.rcode.SERVFAIL, "lame delegation: rcode %s" % dnsq.rcode_text(r)


def test_tcp_client(resolver):
    r = ask(resolver.addr, "video-platform.com.", "MX", tcp=True)
    assert r.rcode() == dns.rcode.NOERROR
    assert r.flags & dns.flags.RA
    assert sorted(rr.to_text() for rrset in r.answer for rr in rrset) == \
        ["10 mail.video-platform.com.", "20 mail2.video-platform.com."]


def test_tcp_two_queries_one_connection(resolver):
    """Two length-prefixed queries on one connection (RFC 7766 6.2.1): both answered."""
    q1 = dnsq.make_query("video-platform.com.", "AAAA")
    q2 = dnsq.make_query("sip.video-platform.com.", "A")
    replies, _ = dnsq.tcp_exchange(resolver.addr, dnsq.frame(q1.to_wire()) +
                                      dnsq.frame(q2.to_wire()), wait=dnsq.TIMEOUT, expect=2)
    got = {}
    for w in replies:
        m = dns.message.from_wire(w)
        got[m.id] = [rr.to_text() for rrset in m.answer for rr in rrset]
    assert got == {q1.id: ["2001:db8::1"], q2.id: ["203.0.113.70"]}


def test_big_txt(resolver, zones):
    """The TXT set larger than 1232 bytes: truncated over UDP with a 1232-byte buffer, complete
    over TCP."""
    want = zone_rdataset(zones, "big.video-platform.com.", "TXT")
    udp = ask(resolver.addr, "big.video-platform.com.", "TXT", payload=1232)
    assert udp.flags & dns.flags.TC, "UDP answer with bufsize 1232 not truncated"
    assert len(udp.to_wire()) <= 1232
    tcp = ask(resolver.addr, "big.video-platform.com.", "TXT", tcp=True)
    assert tcp.rcode() == dns.rcode.NOERROR
    assert not (tcp.flags & dns.flags.TC)
    got = rrsets(tcp.answer)
    assert got == {("big.video-platform.com.", "TXT"): want}, show_rrsets(got)
    assert len(tcp.to_wire()) > 1232


def test_big_txt_no_edns_udp(resolver):
    """A client without EDNS (512-byte limit) also gets TC."""
    q = dnsq.make_query("big.video-platform.com.", "TXT", use_edns=False)
    reply = dnsq.udp_exchange(resolver.addr, q.to_wire(), wait=dnsq.TIMEOUT)
    assert reply is not None
    assert len(reply) <= 512
    assert dns.message.from_wire(reply).flags & dns.flags.TC


def test_ttl_counts_down(resolver):
    first = ask(resolver.addr, "mail2.video-platform.com.", "AAAA")
    assert first.answer, "no answer"
    ttl1 = first.answer[0].ttl
    assert 0 < ttl1 <= 3600
    time.sleep(2)
    second = ask(resolver.addr, "mail2.video-platform.com.", "AAAA")
    assert second.answer
    ttl2 = second.answer[0].ttl
    assert ttl2 <= ttl1 - 1, "TTL did not count down: %d then %d after 2 s" % (ttl1, ttl2)
    assert ttl2 >= ttl1 - 4, "TTL fell too fast: %d then %d after 2 s" % (ttl1, ttl2)
