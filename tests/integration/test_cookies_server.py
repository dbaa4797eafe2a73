"""DNS Cookies, server side (RFC 7873, RFC 9018): every answer path returns a server cookie to
a client cookie; a returned server cookie is checked; dig +cookie interoperates."""

import re
import subprocess

import dns.edns
import dns.flags
import dns.message
import dns.query
import dns.rcode
import pytest

from rwlab import dnsq

VP = "www.video-platform.com."
CC = bytes.fromhex("0123456789abcdef")


def ask(addr, qname=VP, qtype="A", cookie=CC, tcp=False, rd=True, payload=1232):
    q = dnsq.make_query(qname, qtype, rd=rd, payload=payload)
    q.use_edns(0, 0, payload, options=[dns.edns.GenericOption(10, cookie)])
    if tcp:
        return dns.query.tcp(q, addr, timeout=3)
    return dns.query.udp(q, addr, timeout=3)


def cookie_of(m):
    opts = [o for o in m.options if o.otype == 10]
    assert len(opts) == 1, "no COOKIE option in the answer: %s" % dnsq.show(m)
    return opts[0].data


def test_every_answer_path_returns_a_server_cookie(start_ctl):
    """A walked answer, the cache's fast path, a local zone, a refused RD=0 question, an
    NS answer (slow path) and TCP: each answer carries the client cookie and a 16-byte server
    cookie, version 1; returning it is counted valid and gets the same one back."""
    c = start_ctl(extra="access-control: 127.0.0.0/8 allow_snoop\n")
    seen = []
    for kw in ({}, {}, {"qname": "localhost."}, {"rd": False}, {"qname": "example.org.",
                                                                   "rd": False},
               {"qname": "video-platform.com.", "qtype": "NS"}, {"tcp": True},
               {"qname": "video-platform.com.", "qtype": "AXFR"}):
        m = ask(c.r.addr, **kw)
        assert m.rcode() in (dns.rcode.NOERROR, dns.rcode.REFUSED), dnsq.show(m)
        ck = cookie_of(m)
        assert len(ck) == 24 and ck[:8] == CC and ck[8] == 1 and ck[9:12] == b"\0\0\0", ck
        seen.append(ck)
    st = c.stats()
    assert st["cache.fast_path"] >= 1, st
    assert st["client.cookies.client_only"] == len(seen), st
    # the server cookie returned is valid, and (young) returned unchanged
    m = ask(c.r.addr, cookie=seen[1])
    assert cookie_of(m) == seen[1]
    assert c.stats()["client.cookies.valid"] == 1


def test_bad_server_cookies(start_ctl):
    """A server cookie we did not make (changed hash, another client cookie, another length)
    is answered normally with a fresh cookie and counted invalid."""
    c = start_ctl()
    good = cookie_of(ask(c.r.addr))
    bad = [good[:-1] + bytes([good[-1] ^ 1]), bytes(8) + good[8:], good[:8] + bytes(range(20))]
    for b in bad:
        m = ask(c.r.addr, cookie=b)
        assert m.rcode() == dns.rcode.NOERROR and m.answer
        ck = cookie_of(m)
        assert ck[:8] == b[:8] and len(ck) == 24 and ck != b
    assert c.stats()["client.cookies.invalid"] == len(bad)


@pytest.mark.parametrize("length", [1, 7, 9, 15, 41])
def test_malformed_cookie_option_is_formerr(start_rootwalkd, length):
    """RFC 7873 5.2.2: a COOKIE option of a length other than 8 or 16..40 is FORMERR, with an
    OPT record in the answer."""
    r = start_rootwalkd()
    m = ask(r.addr, cookie=bytes(length))
    assert m.rcode() == dns.rcode.FORMERR and m.edns == 0, dnsq.show(m)


def test_cookies_keep_udp_answers_within_the_client_size(start_rootwalkd):
    """The COOKIE option counts in the UDP size: the big TXT set is truncated within 1232 or
    512 bytes, and an answer that fits is not pushed over."""
    r = start_rootwalkd()
    for payload in (1232, 4096, 512):
        for _ in range(2):
            q = dnsq.make_query("big.video-platform.com.", "TXT", payload=payload)
            q.use_edns(0, 0, payload, options=[dns.edns.GenericOption(10, CC)])
            wire = dnsq.udp_exchange(r.addr, q.to_wire(), wait=3)
            assert wire and len(wire) <= min(payload, 1232)
            m = dns.message.from_wire(wire)
            assert m.flags & dns.flags.TC and cookie_of(m)[:8] == CC


def dig(addr, *args):
    p = subprocess.run(["timeout", "-k", "2", "15", "dig", "@" + addr, "+tries=1", "+time=3"] +
                       list(args), capture_output=True, text=True, timeout=20)
    assert p.returncode == 0, p.stderr + p.stdout
    return p.stdout


def test_dig_cookie_is_good(start_ctl):
    """dig +cookie: the reply's cookie validates ("(good)"); sent back with +cookie=..., it is
    accepted by the server (counted valid) and dig still says good."""
    c = start_ctl()
    out = dig(c.r.addr, "+cookie", VP, "A")
    m = re.search(r"; COOKIE: ([0-9a-f]+) \(good\)", out)
    assert m and len(m.group(1)) == 48, out
    out2 = dig(c.r.addr, "+cookie=" + m.group(1), VP, "A")
    assert re.search(r"; COOKIE: %s[0-9a-f]{32} \(good\)" % m.group(1)[:16], out2), out2
    assert "status: NOERROR" in out2
    st = c.stats()
    assert st["client.cookies.valid"] == 1 and st["client.cookies.client_only"] == 1, st


def test_server_secret_survives_a_reload(start_ctl):
    """The server secret is drawn once, at the first cookie, and kept across reloads: a server
    cookie handed out before rootwalk reload is still valid after it."""
    c = start_ctl()
    ck = cookie_of(ask(c.r.addr))
    c.ok("reload")
    assert cookie_of(ask(c.r.addr, cookie=ck)) == ck
    assert c.stats()["client.cookies.valid"] == 1
