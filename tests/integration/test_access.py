"""Who may ask (access-control), the per-client rate limit, and the size of UDP answers.

Clients from non-loopback addresses are made by adding documentation addresses to lo inside
the lab's private network namespace (198.51.100.9, 192.0.2.53 for the daemon itself)."""

import socket
import subprocess
import time

import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import pytest

from rwlab import dnsq, traces

VP = "www.video-platform.com."
CLIENT = "198.51.100.9"
LAN = "192.0.2.53"


@pytest.fixture(scope="module", autouse=True)
def doc_addresses():
    """Documentation addresses on lo, inside the lab's namespace only (in_lab.sh)."""
    for a in (CLIENT, LAN):
        subprocess.run(["ip", "addr", "replace", a + "/32", "dev", "lo"], check=True,
                       timeout=10)
    yield


def ask(addr, qname=VP, qtype="A", source=None, tcp=False, rd=True, timeout=2.0):
    return dnsq.ask(addr, qname, qtype, source=source, tcp=tcp, rd=rd, timeout=timeout)


def no_answer(addr, source, qname=VP):
    try:
        ask(addr, qname, source=source, timeout=0.7)
    except dns.exception.Timeout:
        return True
    return False


def test_default_refuses_every_client_but_loopback(start_ctl):
    """listen: on a LAN address does not make an open resolver: the default ACL answers
    REFUSED to any client off loopback, over UDP and TCP, and counts it. The answer is the
    header alone (RD kept, no RA, no question, no OPT), as Unbound 1.17 answers in the lab."""
    c = start_ctl(extra="listen: %s@53\n" % LAN)
    for tcp in (False, True):
        m = ask(LAN, source=CLIENT, tcp=tcp)
        assert m.rcode() == dns.rcode.REFUSED, dnsq.show(m)
        assert not m.answer and not m.question and m.edns < 0
        assert dns.flags.to_text(m.flags) == "QR RD", dnsq.show(m)
    # loopback is allowed, to either address
    assert ask(LAN, source="127.0.0.1").rcode() == dns.rcode.NOERROR
    assert ask(c.r.addr).rcode() == dns.rcode.NOERROR
    st = c.stats()
    assert st["client.acl.refused"] == 2, st
    assert st["client.acl.denied"] == 0
    assert st["client.rcode.REFUSED"] == 2 and st["client.rcode.NOERROR"] == 2, st
    # IPv6 too: 2001:db8::53 (on lo, from in_lab.sh) is not loopback
    c6 = start_ctl(extra="listen: 2001:db8::53@53\n")
    assert ask("2001:db8::53").rcode() == dns.rcode.REFUSED
    assert ask("2001:db8::53", source="::1").rcode() == dns.rcode.NOERROR
    assert c6.stats()["client.acl.refused"] == 1


def test_allow_line_and_rd0_like_unbound(start_rootwalkd):
    """access-control: NET allow lets the netblock recurse; an RD=0 question from it is REFUSED
    even when the answer is cached (as Unbound 1.17 answers in the lab), but a local zone
    still answers; allow_snoop answers RD=0 from the cache."""
    r = start_rootwalkd(extra="listen: %s@53\n"
                              "access-control: 198.51.100.0/24 allow\n"
                              "access-control: 192.0.2.0/24 allow_snoop\n" % LAN)
    m = ask(LAN, source=CLIENT)
    assert m.rcode() == dns.rcode.NOERROR and dnsq.addrs(m), dnsq.show(m)
    m = ask(LAN, source=CLIENT, rd=False)
    assert m.rcode() == dns.rcode.REFUSED and not m.answer, dnsq.show(m)
    m = ask(LAN, "localhost.", source=CLIENT, rd=False)
    assert m.rcode() == dns.rcode.NOERROR and dnsq.addrs(m) == ["127.0.0.1"], dnsq.show(m)
    # the daemon's own LAN address is in the allow_snoop block: RD=0 from the cache
    m = ask(LAN, source=LAN, rd=False)
    assert m.rcode() == dns.rcode.NOERROR and dnsq.addrs(m), dnsq.show(m)
    # loopback keeps its default, allow: RD=0 refused
    assert ask(r.addr, rd=False).rcode() == dns.rcode.REFUSED


def test_most_specific_and_deny(start_ctl):
    """deny drops silently (no answer at all); the most specific netblock wins."""
    c = start_ctl(extra="listen: %s@53\n"
                        "access-control: 198.51.100.0/24 allow\n"
                        "access-control: 198.51.100.9/32 deny\n"
                        "access-control: 192.0.2.0/24 refuse\n"
                        "access-control: 192.0.2.53 allow\n" % LAN)
    assert no_answer(LAN, CLIENT), "a denied client got an answer"
    assert ask(LAN, source=LAN).rcode() == dns.rcode.NOERROR
    st = c.stats()
    assert st["client.acl.denied"] == 1 and st["client.acl.refused"] == 0, st


def test_reload_applies_new_lines(start_ctl):
    """rootwalk reload compiles the new access-control lines: refused, then allowed, then
    denied."""
    c = start_ctl(extra="listen: %s@53\n" % LAN)
    assert ask(LAN, source=CLIENT).rcode() == dns.rcode.REFUSED
    with open(c.r.conf, "a") as f:
        f.write("access-control: 198.51.100.0/24 allow\n")
    c.ok("reload")
    assert ask(LAN, source=CLIENT).rcode() == dns.rcode.NOERROR
    with open(c.r.conf, "a") as f:
        f.write("access-control: 198.51.100.0/24 deny\n")
    c.ok("reload")
    assert no_answer(LAN, CLIENT)
    st = c.stats()
    assert (st["client.acl.refused"], st["client.acl.denied"]) == (1, 1), st


def test_refused_queries_traced_only_for_trace_clients(start_rootwalkd):
    """A refused query leaves a trace (an access event) only when trace-clients names the
    client."""
    r = start_rootwalkd(extra="listen: %s@53\ntrace-clients: %s\n" % (LAN, CLIENT))
    assert ask(LAN, source=CLIENT).rcode() == dns.rcode.REFUSED
    assert ask(LAN, "www.example.org.", source=LAN).rcode() == dns.rcode.REFUSED
    t = traces.wait_trace(r.trace_log, VP, "A")
    acc = [e for e in t[0] if e["ev"] == "access"]
    assert acc and acc[0]["rcode"] == "REFUSED" and "access-control" in acc[0]["reason"], t
    time.sleep(0.3)
    assert not traces.traces_for(r.trace_log, "www.example.org.", "A")


def burst(addr, n, source="127.0.0.1", qname=VP, cookie=None, wait=1.0):
    """n UDP queries sent at once from one socket; returns the replies (dns.message) received
    within wait seconds."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((source, 0))
    s.settimeout(0.05)
    try:
        for i in range(n):
            q = dnsq.make_query(qname, "A", id_=i)
            if cookie is not None:
                q.use_edns(0, 0, 1232, options=[dns.edns.GenericOption(10, cookie)])
            s.sendto(q.to_wire(), (addr, 53))
        got, end = [], time.monotonic() + wait
        while time.monotonic() < end and len(got) < n:
            try:
                got.append(dns.message.from_wire(s.recv(65535)))
            except socket.timeout:
                pass
        return got
    finally:
        s.close()


def test_ratelimit_drops_slips_and_exempts_cookies_and_tcp(start_ctl):
    """ip-ratelimit: 5 with slip 2: of 40 queries in a burst, at most 5 per second are
    answered, every second one over the limit gets an empty TC=1 answer, the rest nothing;
    counted. TCP is not limited, nor a client returning a valid server cookie."""
    c = start_ctl(extra="ip-ratelimit: 5\nip-ratelimit-slip: 2\n")
    ask(c.r.addr)  # cached
    time.sleep(1.05)  # a fresh second for the block
    got = burst(c.r.addr, 40)
    full = [m for m in got if not m.flags & dns.flags.TC]
    tc = [m for m in got if m.flags & dns.flags.TC]
    assert all(m.answer for m in full) and all(not m.answer for m in tc)
    st = c.stats()
    over = st["client.ratelimit.dropped"] + st["client.ratelimit.slipped"]
    assert len(full) <= 10 and over >= 30, (len(full), st)  # a burst may span two seconds
    assert st["client.ratelimit.slipped"] == len(tc)
    assert abs(st["client.ratelimit.slipped"] - st["client.ratelimit.dropped"]) <= 2, st
    # TCP is not limited
    for _ in range(10):
        assert ask(c.r.addr, tcp=True).answer
    # a valid server cookie exempts: get one, then a burst with it
    m = dnsq.ask(c.r.addr, VP, tcp=True)
    q = dnsq.make_query(VP, "A")
    q.use_edns(0, 0, 1232, options=[dns.edns.GenericOption(10, b"\x01" * 8)])
    m = dns.query.tcp(q, c.r.addr, timeout=2)
    opt = [o for o in m.options if o.otype == 10]
    assert opt and len(opt[0].data) == 24, m.options
    time.sleep(1.05)
    before = c.stats()["client.ratelimit.dropped"]
    got = burst(c.r.addr, 30, cookie=opt[0].data)
    assert len(got) == 30 and all(m.answer and not m.flags & dns.flags.TC for m in got)
    assert c.stats()["client.ratelimit.dropped"] == before
    assert c.stats()["client.cookies.valid"] >= 30
    # a server cookie that does not check (another client cookie) exempts nothing
    time.sleep(1.05)
    got = burst(c.r.addr, 30, cookie=b"\x09" * 8 + opt[0].data[8:])
    assert len([m for m in got if not m.flags & dns.flags.TC]) <= 10
    assert c.stats()["client.ratelimit.dropped"] > before


def test_ratelimit_slip_answers_carry_a_fresh_cookie(start_rootwalkd):
    """Over the limit with a client cookie only: the TC=1 answers carry a server cookie, which
    the client can return to be exempt (RFC 7873 5.2.3 and 5.2.4)."""
    r = start_rootwalkd(extra="ip-ratelimit: 1\nip-ratelimit-slip: 1\n")
    ask(r.addr)
    time.sleep(1.05)
    got = burst(r.addr, 5, cookie=b"\x02" * 8)
    tc = [m for m in got if m.flags & dns.flags.TC]
    assert len(tc) >= 3, [dnsq.show(m) for m in got]
    for m in tc:
        opt = [o for o in m.options if o.otype == 10]
        assert opt and opt[0].data[:8] == b"\x02" * 8 and len(opt[0].data) == 24


def udp_size_cases(addr, payload, use_edns=True):
    """(qname, qtype, size, TC) of UDP answers for big and ANY questions."""
    out = []
    for qname, qtype in (("big.video-platform.com.", "TXT"), ("video-platform.com.", "ANY"),
                         ("video-platform.com.", "NS"), (VP, "A")):
        for _ in range(2):  # walked, then from the cache
            q = dnsq.make_query(qname, qtype, payload=payload, use_edns=use_edns)
            wire = dnsq.udp_exchange(addr, q.to_wire(), wait=2.0)
            assert wire, "no answer to %s %s" % (qname, qtype)
            m = dns.message.from_wire(wire)
            out.append((qname, qtype, len(wire), bool(m.flags & dns.flags.TC)))
    # RD=0 (allow_snoop): a referral to the closest cached cut, and a local zone
    for qname, qtype in (("nope.example.org.", "A"), ("localhost.", "ANY")):
        q = dnsq.make_query(qname, qtype, rd=False, payload=payload, use_edns=use_edns)
        wire = dnsq.udp_exchange(addr, q.to_wire(), wait=2.0)
        assert wire, "no answer to %s %s with RD=0" % (qname, qtype)
        m = dns.message.from_wire(wire)
        assert m.rcode() == dns.rcode.NOERROR and (m.answer or m.authority or m.flags &
                                                   dns.flags.TC), dnsq.show(m)
        out.append((qname, qtype, len(wire), bool(m.flags & dns.flags.TC)))
    return out


@pytest.mark.parametrize("payload,use_edns,limit", [(4096, True, 1232), (1232, True, 1232),
                                                   (600, True, 600), (512, False, 512)])
def test_udp_answers_fit_the_client(start_rootwalkd, payload, use_edns, limit):
    """Over UDP no answer is larger than the client's EDNS size, 1232 when it offers more, 512
    without EDNS (DNS flag day 2020), on every path: walked, from the cache, NS with the
    servers' addresses, an RD=0 referral, a local zone; the big TXT set is truncated (TC) and
    whole over TCP."""
    r = start_rootwalkd(extra="access-control: 127.0.0.0/8 allow_snoop\n")
    ask(r.addr, "www.example.org.")  # a cut to refer RD=0 questions to
    for qname, qtype, size, tc in udp_size_cases(r.addr, payload, use_edns):
        assert size <= limit, (qname, qtype, size, limit)
        if qtype == "TXT":
            assert tc, "the big TXT set fit in %d bytes?" % size
    m = ask(r.addr, "big.video-platform.com.", "TXT", tcp=True)
    assert not m.flags & dns.flags.TC and len(m.answer[0]) >= 8


def test_ratelimit_trace_is_sampled(start_rootwalkd):
    """With trace-clients naming the client, queries over the limit are traced at most once
    per block per second (a flood writes no flood of traces); a client not named, never."""
    r = start_rootwalkd(extra="ip-ratelimit: 2\nip-ratelimit-slip: 0\n"
                              "trace-clients: 127.0.0.1\n")
    ask(r.addr)
    time.sleep(1.05)
    t0 = time.monotonic()
    got = burst(r.addr, 30, source="127.0.0.1", wait=0.5)
    burst(r.addr, 30, source="127.0.0.2", qname="www.example.org.", wait=0.3)
    elapsed = time.monotonic() - t0
    assert len(got) <= 4
    time.sleep(0.3)
    acc = [e for t in traces.traces_for(r.trace_log, VP, "A") for e in t if e["ev"] == "access"]
    assert 1 <= len(acc) <= int(elapsed) + 2, acc
    assert "ip-ratelimit" in acc[0]["reason"] and acc[0]["rcode"] == "none"
    assert not traces.traces_for(r.trace_log, "www.example.org.", "A")
