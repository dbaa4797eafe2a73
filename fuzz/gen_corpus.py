#!/usr/bin/env python3
"""Writes the seed corpora in fuzz/corpus/ (client_query, tcp_frame, config).

Run from anywhere: python3 fuzz/gen_corpus.py. Seeds are named after what they exercise. Files
the fuzzer found later (crash-*, regress-*) are kept beside them and are not touched here.
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def name(n):
    if n in ("", "."):
        return b"\0"
    out = b""
    for label in n.rstrip(".").split("."):
        lb = label.encode()
        out += bytes([len(lb)]) + lb
    return out + b"\0"


def header(qid=0x1234, flags=0x0100, qd=1, an=0, ns=0, ar=0):
    return struct.pack("!HHHHHH", qid, flags, qd, an, ns, ar)


def opt(bufsize=1232, version=0, do=False, rdata=b"", ext_rcode=0):
    return (b"\0" + struct.pack("!HHBBHH", 41, bufsize, ext_rcode, version,
                                0x8000 if do else 0, len(rdata)) + rdata)


def query(qname="www.video-platform.com", qtype=1, qclass=1, edns=None, flags=0x0100, qid=0x1234):
    ar = 1 if edns is not None else 0
    pkt = header(qid, flags, 1, 0, 0, ar) + name(qname) + struct.pack("!HH", qtype, qclass)
    if edns is not None:
        pkt += edns
    return pkt


def client_query():
    s = {}
    types = {"a": 1, "ns": 2, "cname": 5, "soa": 6, "ptr": 12, "mx": 15, "txt": 16, "aaaa": 28,
             "srv": 33, "ds": 43, "rrsig": 46, "dnskey": 48, "https": 65, "caa": 257, "any": 255,
             "axfr": 252, "type0": 0, "type65280": 65280, "type65535": 65535}
    for k, t in types.items():
        s["ok-" + k] = query(qtype=t)
        s["ok-" + k + "-edns"] = query(qtype=t, edns=opt(do=(t % 2 == 0)))
    s["ok-root-ns"] = query(".", 2)
    s["ok-mixed-case"] = query("WwW.ViDeO-PlAtFoRm.CoM", 1)
    s["ok-ptr-reverse"] = query("42.113.0.203.in-addr.arpa", 12)
    s["ok-class-ch"] = query("version.bind", 16, 3)
    s["ok-class-any"] = query("example.com", 1, 255)
    s["ok-no-rd"] = query(flags=0)
    s["ok-cd-ad"] = query(flags=0x0130)
    s["ok-edns-4096-do"] = query(edns=opt(4096, do=True))
    s["ok-edns-small-bufsize"] = query(edns=opt(100))
    s["ok-edns-bufsize-0"] = query(edns=opt(0))
    s["ok-edns-65535"] = query(edns=opt(65535))
    cookie = struct.pack("!HH", 10, 8) + b"\x01\x02\x03\x04\x05\x06\x07\x08"
    ecs = struct.pack("!HHHBB", 8, 7, 1, 24, 0) + b"\xcb\x00\x71"
    s["ok-edns-cookie"] = query(edns=opt(rdata=cookie))
    s["ok-edns-cookie-ecs"] = query(edns=opt(rdata=cookie + ecs))
    s["ok-edns-empty-option"] = query(edns=opt(rdata=struct.pack("!HH", 12, 0)))
    s["badvers-edns1"] = query(edns=opt(version=1))
    s["badvers-edns255"] = query(edns=opt(version=255, do=True))
    s["ok-edns-ext-rcode-set"] = query(edns=opt(ext_rcode=1))
    # A name of exactly 255 octets, and one octet more.
    n255 = (b"\x3f" + b"a" * 63) * 3 + b"\x3d" + b"b" * 61 + b"\0"
    assert len(n255) == 255
    s["ok-name-255"] = header() + n255 + b"\0\1\0\1"
    n256 = (b"\x3f" + b"a" * 63) * 3 + b"\x3e" + b"b" * 62 + b"\0"
    s["bad-name-256"] = header() + n256 + b"\0\1\0\1"
    s["bad-name-many-labels"] = header() + b"\x01a" * 200 + b"\0\0\1\0\1"
    s["ok-label-63"] = header() + b"\x3f" + b"x" * 63 + b"\0\0\1\0\1"
    s["bad-label-64"] = header() + b"\x40" + b"x" * 64 + b"\0\0\1\0\1"
    s["bad-label-0x80"] = header() + b"\x80" + b"x" * 10 + b"\0\0\1\0\1"
    s["bad-label-0xbf"] = header() + b"\xbf" + b"x" * 10 + b"\0\0\1\0\1"
    # Compression in the question: to itself, into the header, forwards, and a loop.
    s["bad-ptr-self"] = header() + b"\xc0\x0c\0\1\0\1"
    s["bad-ptr-header"] = header() + b"\xc0\x02\0\1\0\1"
    s["bad-ptr-forward"] = header() + b"\xc0\x12\0\1\0\1" + b"\x03www\0"
    s["bad-ptr-loop"] = header() + b"\x01a\xc0\x0e\0\1\0\1"
    s["bad-ptr-two-loop"] = header() + b"\x01a\xc0\x10\x01b\xc0\x0c\0\1\0\1"
    s["bad-ptr-truncated"] = header() + b"\x03www\xc0"
    s["bad-ptr-0x3fff"] = header() + b"\xff\xff\0\1\0\1"
    # OPT owner given as a pointer to the question's root label.
    base = query("a", 1)
    s["bad-opt-owner-pointer"] = (header(ar=1) + name("a") + b"\0\1\0\1" + b"\xc0\x0e" +
                                  struct.pack("!HHBBHH", 41, 1232, 0, 0, 0, 0))
    # Header counts.
    s["bad-qdcount-0"] = header(qd=0)
    s["bad-qdcount-0-with-question"] = header(qd=0) + name("example.com") + b"\0\1\0\1"
    s["bad-qdcount-2"] = (header(qd=2) + name("example.com") + b"\0\1\0\1" + name("example.org")
                          + b"\0\1\0\1")
    s["bad-qdcount-65535"] = header(qd=65535) + name("example.com") + b"\0\1\0\1"
    s["bad-ancount-1"] = header(an=1) + name("example.com") + b"\0\1\0\1"
    s["bad-nscount-1"] = header(ns=1) + name("example.com") + b"\0\1\0\1"
    s["bad-arcount-2"] = query(edns=opt() + opt())[:10] + b"\0\2" + query(edns=opt() + opt())[12:]
    s["bad-arcount-1-not-opt"] = (header(ar=1) + name("a") + b"\0\1\0\1" + b"\0" +
                                  struct.pack("!HHIH", 1, 1, 0, 4) + b"\1\2\3\4")
    s["bad-opt-not-root"] = (header(ar=1) + name("a") + b"\0\1\0\1" + b"\x01x\0" +
                             struct.pack("!HHBBHH", 41, 1232, 0, 0, 0, 0))
    s["bad-opt-option-overrun"] = query(edns=opt(rdata=struct.pack("!HH", 10, 9) + b"12345678"))
    s["bad-opt-option-short"] = query(edns=opt(rdata=b"\0\x0a\0"))
    s["bad-opt-rdlen-overrun"] = query(edns=opt())[:-2] + b"\0\x20"
    # Truncations of a good EDNS query at every interesting point.
    full = query("www.video-platform.com", 28, edns=opt(rdata=cookie))
    for cut in (0, 1, 2, 11, 12, 13, 16, 35, 36, 37, 38, 39, 40, 45, len(full) - 1):
        s["trunc-%03d" % cut] = full[:cut]
    s["bad-trailing-garbage"] = query() + b"\xde\xad"
    s["bad-trailing-zero"] = query() + b"\0"
    # Not queries.
    s["drop-response"] = query(flags=0x8180)
    s["drop-response-short"] = header(flags=0x8000, qd=0)
    s["notimp-iquery"] = query(flags=0x0800)
    s["notimp-status"] = query(flags=0x1000)
    s["notimp-notify-soa"] = query("example.com", 6, flags=0x2000)
    s["notimp-notify-edns"] = query("example.com", 6, flags=0x2000, edns=opt(do=True))
    s["notimp-update"] = (header(flags=0x2800, qd=1, an=0, ns=1, ar=0) + name("example.com") +
                          b"\0\6\0\1" + name("x.example.com") + struct.pack("!HHIH", 1, 1, 60, 4)
                          + b"\1\2\3\4")
    s["notimp-update-bad-rr"] = (header(flags=0x2800, qd=1, ns=3) + name("example.com") +
                                 b"\0\6\0\1" + b"\xc0\x0c\0\1")
    # A chain of compression pointers in rdata, each pointing at the one before, the first at
    # the question's name; a later owner name enters the chain at its end. Only the NOTIMP path
    # walks records before the OPT, so only it can meet such a chain in a client message.
    for hops in (126, 127, 128, 300):
        q = name("a") + b"\0\6\0\1"
        base = 12 + len(q) + 1 + 10
        chain = b"".join(struct.pack("!H", 0xc000 | (12 if i == 0 else base + 2 * (i - 1)))
                         for i in range(hops))
        rr1 = b"\0" + struct.pack("!HHIH", 16, 1, 0, len(chain)) + chain
        rr2 = struct.pack("!H", 0xc000 | (base + 2 * (hops - 1))) + struct.pack("!HHIH", 1, 1, 0, 0)
        s["notimp-pointer-chain-%d" % hops] = (header(flags=0x2000, qd=1, an=2) + q + rr1 + rr2
                                               + opt())
    s["notimp-opcode15"] = query(flags=0x7800)
    s["notimp-qdcount-0"] = header(flags=0x2000, qd=0)
    s["notimp-ar-2"] = (header(flags=0x2000, ar=2) + name("a") + b"\0\1\0\1" + b"\0" +
                        struct.pack("!HHIH", 1, 1, 0, 0) + opt())
    return s


def tcp_frame():
    s = {}

    def stream(maxlen, shape, *frames, raw=b""):
        out = struct.pack("!HB", maxlen, shape)
        for f in frames:
            out += struct.pack("!H", len(f)) + f
        return out + raw

    q = query(edns=opt())
    s["one-query"] = stream(65535, 1, q)
    s["one-query-max-512"] = stream(512, 7, q)
    s["two-queries"] = stream(65535, 3, q, query("example.org", 28))
    s["ten-queries"] = stream(4096, 11, *[query("n%d.example.com" % i, 1) for i in range(10)])
    s["tiny-frames"] = stream(4096, 0, *[b"x"] * 50)
    s["partial-second"] = stream(65535, 2, q, raw=b"\0\x40" + q[:10])
    s["partial-prefix"] = stream(65535, 2, q, raw=b"\0")
    s["len-zero"] = stream(65535, 5, q, raw=b"\0\0" + q)
    s["len-zero-first"] = stream(65535, 5, raw=b"\0\0")
    s["len-over-max"] = stream(512, 9, raw=b"\x02\x01" + b"a" * 513)
    s["len-exactly-max"] = stream(512, 9, b"a" * 512)
    s["len-max-plus-one-later"] = stream(512, 4, b"a" * 100, raw=b"\x02\x01")
    s["max-zero"] = stream(0, 1, raw=b"\0\1a")
    s["max-one"] = stream(1, 1, b"a", b"b", raw=b"\0\2ab")
    s["len-65535-partial"] = stream(65535, 200, raw=b"\xff\xff" + b"z" * 300)
    s["empty-stream"] = stream(65535, 0)
    s["only-header"] = b"\xff\xff"
    s["big-chunks"] = stream(65535, 255, *[q] * 20)
    return s


def rr(owner, rtype, rdata, ttl=3600, rclass=1):
    """A resource record; owner is wire format (bytes) or a dotted name."""
    if isinstance(owner, str):
        owner = name(owner)
    return owner + struct.pack("!HHIH", rtype, rclass, ttl, len(rdata)) + rdata


def a(ip):
    return bytes(int(x) for x in ip.split("."))


QNAME = b"\xc0\x0c"  # a pointer to the question's name, whatever question it is


def soa(zone, minimum=300, ttl=3600):
    rdata = name("ns1." + zone) + name("host." + zone) + struct.pack("!IIIII", 1, 7200, 900,
                                                                     1209600, minimum)
    return rr(zone, 6, rdata, ttl)


def body(flags, an=(), ns=(), ar=()):
    """A reply body for fuzz_upstream_reply: flags and counts, then the sections (the ID and
    the question are filled in by the target)."""
    return (struct.pack("!HHHHH", flags, 1, len(an), len(ns), len(ar)) + b"".join(an) +
            b"".join(ns) + b"".join(ar))


def chunk(b, which=0):
    return struct.pack("!HB", len(b), which) + b


TIMEOUT = struct.pack("!HB", 0, 0)


def ask_again(choice):
    return struct.pack("!HB", 0xffff, choice)


def upstream_reply():
    s = {}
    QR, AA, TC = 0x8000, 0x0400, 0x0200
    ref_com = body(QR, ns=[rr("com.", 2, name("a.gtld-servers.com."), 172800)],
                   ar=[rr("a.gtld-servers.com.", 1, a("192.0.2.10"), 172800)])
    ref_vp = body(QR, ns=[rr("video-platform.com.", 2, name("ns1.dnshost.net."), 172800)])
    ref_vp_glue = body(QR, ns=[rr("video-platform.com.", 2, name("ns1.video-platform.com."))],
                       ar=[rr("ns1.video-platform.com.", 1, a("192.0.2.42"))])
    ans_a = body(QR | AA, an=[rr(QNAME, 1, a("203.0.113.42"), 300)])
    ans_cname = body(QR | AA, an=[rr(QNAME, 5, name("video-platform.com."), 300),
                                  rr("video-platform.com.", 1, a("203.0.113.42"), 300)])
    ans_cname_out = body(QR | AA, an=[rr(QNAME, 5, name("www.cdn.net."), 300)])
    nxdomain = body(QR | AA | 3, ns=[soa("video-platform.com.")])
    nodata = body(QR | AA, ns=[soa("video-platform.com.", 60)])
    for trace, tag in ((0x00, "notrace"), (0x40, "text"), (0x60, "json")):
        s["walk-glue-%s" % tag] = bytes([trace | 0x10, 0]) + chunk(ref_com) + chunk(ref_vp_glue) + chunk(ans_a)
        s["walk-noglue-%s" % tag] = (bytes([trace | 0x10, 0]) + chunk(ref_com) + chunk(ref_vp) +
                                     chunk(ans_a) + chunk(ans_a) + chunk(ans_cname) +
                                     ask_again(0) + chunk(ans_a))
    s["answer-cname"] = bytes([0x70, 0]) + chunk(ans_cname)
    s["answer-cname-other-zone"] = bytes([0x50, 0]) + chunk(ans_cname_out) + chunk(ref_com) + chunk(ans_a)
    s["nxdomain"] = bytes([0x70, 0]) + chunk(ref_com) + chunk(nxdomain) + ask_again(0)
    s["nodata"] = bytes([0x50, 2 << 3]) + chunk(ref_com) + chunk(nodata) + ask_again(2 << 3)
    s["nxdomain-then-cache"] = bytes([0x10, 0]) + chunk(nxdomain) + ask_again(0) + ask_again(2 << 3)
    s["timeouts"] = bytes([0x50, 0]) + TIMEOUT * 5 + chunk(ref_com) + TIMEOUT * 3 + chunk(ans_a)
    s["truncated-then-tcp"] = bytes([0x70, 0]) + chunk(body(QR | AA | TC)) + chunk(ans_a)
    s["servfail-refused"] = (bytes([0x50, 0]) + chunk(body(QR | 2)) + chunk(body(QR | 5)) +
                             chunk(body(QR | 9)) + chunk(ans_a))
    s["not-a-response"] = bytes([0x50, 0]) + chunk(body(AA)) + chunk(ans_a)
    s["wrong-qdcount"] = bytes([0x50, 0]) + chunk(struct.pack("!HHHHH", QR | AA, 0, 1, 0, 0) +
                                               rr("x.", 1, a("1.2.3.4"))) + chunk(ans_a)
    # Upward referral (lame), referral to an unrelated zone, out-of-bailiwick glue.
    s["upward-referral"] = bytes([0x70, 0]) + chunk(ref_com) + chunk(
        body(QR, ns=[rr(".", 2, name("a.root-servers.net."))],
             ar=[rr("a.root-servers.net.", 1, a("192.0.2.1"))])) + chunk(ans_a)
    s["sideways-referral"] = bytes([0x70, 0]) + chunk(
        body(QR, ns=[rr("example.org.", 2, name("ns.example.org."))],
             ar=[rr("ns.example.org.", 1, a("192.0.2.9"))])) + chunk(ans_a)
    s["poison-glue"] = bytes([0x70, 0]) + chunk(
        body(QR, ns=[rr("com.", 2, name("ns.evil.net."))],
             ar=[rr("ns.evil.net.", 1, a("192.0.2.66")),
                 rr("www.video-platform.com.", 1, a("6.6.6.6"))])) + chunk(ans_a) + chunk(ans_a)
    s["poison-answer"] = bytes([0x70, 0]) + chunk(
        body(QR | AA, an=[rr(QNAME, 1, a("203.0.113.42")), rr("bank.example.", 1, a("6.6.6.6"))],
             ns=[rr("com.", 2, name("ns.evil.net."))])) + ask_again(0)
    s["cname-loop"] = bytes([0x70, 0]) + chunk(body(QR | AA, an=[
        rr(QNAME, 5, name("loop.example.")), rr("loop.example.", 5, name("www.video-platform.com."))]))
    s["many-ns-no-glue"] = bytes([0x70, 0]) + chunk(body(QR, ns=[
        rr("com.", 2, name("ns%d.elsewhere%d.net." % (i, i))) for i in range(20)])) + (
        chunk(ans_a) + TIMEOUT) * 8
    s["big-txt"] = bytes([0x70, 4 << 3]) + chunk(body(QR | AA, an=[
        rr(QNAME, 16, bytes([255]) + b"t" * 255) for _ in range(20)]))
    s["hostile-names"] = bytes([0x70, 0]) + chunk(body(QR | AA, an=[
        rr(QNAME, 5, b"\x05a\nb\"c\x04\x00\x1b\x7f\\" + name("example."))],
        ns=[rr(b"\x03\x00\x01\x02\x00", 2, b"\x01\"\x00")])) + chunk(ans_a)
    s["compressed-sections"] = bytes([0x70, 0]) + chunk(body(QR | AA, an=[
        rr(QNAME, 2, b"\x03ns1\xc0\x0c"), rr(QNAME, 1, a("203.0.113.42"))],
        ar=[rr(b"\x03ns1\xc0\x0c", 1, a("192.0.2.1"))]))
    s["bad-pointer-in-answer"] = bytes([0x70, 0]) + chunk(body(QR | AA, an=[rr(b"\xc0\xff", 1, a("1.1.1.1"))]))
    s["truncated-record"] = bytes([0x70, 0]) + chunk(body(QR | AA, an=[rr(QNAME, 1, a("1.1.1.1"))])[:-3])
    s["opt-in-reply"] = bytes([0x70, 0]) + chunk(body(QR | AA, an=[rr(QNAME, 1, a("1.1.1.1"))],
                                                   ar=[b"\0" + struct.pack("!HHIH", 41, 1232, 0, 0)]))
    s["top-bit-ttl"] = bytes([0x70, 0]) + chunk(body(QR | AA, an=[rr(QNAME, 1, a("1.1.1.1"), 0x80000001)])) + ask_again(0)
    s["zero-ttl-soa"] = bytes([0x70, 0]) + chunk(body(QR | AA | 3, ns=[soa("com.", 0, 0)])) + ask_again(0)
    s["ptr"] = bytes([0x70, 2 | (7 << 3)]) + chunk(body(QR | AA, an=[rr(QNAME, 12, name("video-platform.com."))]))
    s["cname-empty-rdata"] = bytes([0x50, 0]) + chunk(body(QR | AA, an=[rr(QNAME, 5, b"")]))
    # Records with empty rdata, where the resolver reads a name or an address from the rdata.
    s["ns-empty-rdata"] = bytes([0x50, 0]) + chunk(body(QR, ns=[rr("com.", 2, b"")])) + chunk(ans_a)
    s["ns-empty-rdata-with-good"] = bytes([0x70, 0]) + chunk(body(QR, ns=[
        rr("com.", 2, b""), rr("com.", 2, name("a.gtld-servers.com."))],
        ar=[rr("a.gtld-servers.com.", 1, a("192.0.2.10"))])) + chunk(ans_a)
    s["cname-empty-rdata-then-cache"] = (bytes([0x50, 0]) + chunk(body(QR | AA, an=[rr(QNAME, 5, b"")]))
                                         + TIMEOUT * 3 + ask_again(0) + ask_again(0))
    s["glue-empty-rdata"] = bytes([0x50, 0]) + chunk(body(QR, ns=[
        rr("com.", 2, name("a.gtld-servers.com."))],
        ar=[rr("a.gtld-servers.com.", 1, b""), rr("a.gtld-servers.com.", 28, b"")])) + chunk(ans_a)
    s["soa-empty-rdata"] = bytes([0x70, 0]) + chunk(body(QR | AA | 3, ns=[rr("com.", 6, b"")])) + ask_again(0)
    s["nodata-soa-empty-rdata"] = bytes([0x50, 0]) + chunk(body(QR | AA, ns=[rr("com.", 6, b"")])) + ask_again(0)
    s["answer-a-empty-rdata"] = bytes([0x10, 0]) + chunk(body(QR | AA, an=[rr(QNAME, 1, b"")])) + ask_again(0)
    s["answer-ns-empty-rdata"] = bytes([0x50, 2 << 3]) + chunk(body(QR | AA, an=[rr(QNAME, 2, b"")])) + ask_again(2 << 3)
    # The same with a one-label question, which QNAME minimisation leaves whole: the reply
    # then answers the client's own name.
    COM_MX = 7 | (3 << 3)
    s["cname-empty-rdata-full-name"] = bytes([0x40, COM_MX]) + chunk(body(QR | AA, an=[rr(QNAME, 5, b"")]))
    s["cname-empty-rdata-full-name-then-cache"] = (bytes([0x00, COM_MX]) + chunk(body(QR | AA, an=[
        rr(QNAME, 5, b"")])) + TIMEOUT * 3 + ask_again(COM_MX) + ask_again(COM_MX))
    s["ns-empty-rdata-full-name"] = bytes([0x40, COM_MX]) + chunk(body(QR, ns=[rr("com.", 2, b"")])) + chunk(ans_a)
    # The same walk with QNAME minimisation on (the default) and with 0x20 on.
    s["walk-noglue-qmin-json"] = (bytes([0x60, 0]) + chunk(ref_com) + chunk(ref_vp) + chunk(ans_a) +
                                  chunk(ans_a) + chunk(ans_a) + chunk(ans_a) + chunk(ans_a))
    s["walk-glue-caps-json"] = bytes([0x78, 0]) + chunk(ref_com) + chunk(ref_vp_glue) + chunk(ans_a)
    s["nxdomain-qmin"] = bytes([0x60, 0]) + chunk(ref_com) + chunk(nxdomain) + chunk(nxdomain) + ask_again(0)
    s["tcp-client"] = bytes([0x50, 0x80]) + chunk(ans_a)
    # Issue 10: replies read by content, duplicates, DNAME, sibling glue, shared queries.
    dname = rr("video-platform.com.", 39, name("example.net."), 600)
    s["dname"] = bytes([0x70, 0]) + chunk(body(QR | AA, an=[
        dname, rr(QNAME, 5, name("www.example.net."), 600)])) + chunk(ans_a) + ask_again(0)
    s["dname-yxdomain"] = bytes([0x70, 0]) + chunk(body(QR | AA | 6, an=[dname]))
    s["dname-too-long"] = bytes([0x70, 0]) + chunk(body(QR | AA, an=[
        rr("video-platform.com.", 39, name(".".join(["x" * 63] * 3) + ".example."))]))
    s["dname-empty-rdata"] = bytes([0x70, 0]) + chunk(body(QR | AA, an=[
        rr("video-platform.com.", 39, b"")])) + chunk(ans_a)
    s["duplicates"] = bytes([0x70, 0]) + chunk(body(QR | AA, an=[
        rr(QNAME, 5, name("video-platform.com."), 300), rr(QNAME, 5, name("video-platform.com."), 200),
        rr("video-platform.com.", 1, a("203.0.113.42")), rr("video-platform.com.", 1, a("203.0.113.42"))],
        ns=[soa("video-platform.com."), soa("video-platform.com.")])) + ask_again(0)
    s["referral-with-aa"] = bytes([0x70, 0]) + chunk(body(QR | AA, ns=[
        rr("com.", 2, name("a.gtld-servers.com."))],
        ar=[rr("a.gtld-servers.com.", 1, a("192.0.2.10"))])) + chunk(ans_a)
    s["sibling-glue"] = bytes([0x70, 0]) + chunk(body(QR, ns=[
        rr("com.", 2, name("a.gtld-servers.net."))],
        ar=[rr("a.gtld-servers.net.", 1, a("192.0.2.20")),
            rr("a.gtld-servers.net.", 28, b"\x20\x01\x0d\xb8" + b"\0" * 11 + b"\x01")])) + (
        TIMEOUT * 2 + chunk(ans_a))
    s["nodata-without-aa"] = bytes([0x70, 0]) + chunk(ref_com) + chunk(
        body(QR, ns=[soa("com.")])) + ask_again(0)
    s["nodata-apex-ns"] = bytes([0x70, 0]) + chunk(ref_com) + chunk(
        body(QR | AA, ns=[rr("com.", 2, name("a.gtld-servers.com."))])) + ask_again(0)
    s["nodata-empty-aa"] = bytes([0x70, 0]) + chunk(body(QR | AA)) + ask_again(0)
    s["not-auth-empty"] = bytes([0x70, 0]) + chunk(body(QR)) + chunk(ans_a)
    s["ds-from-child-apex"] = bytes([0x70, 12 << 3]) + chunk(ref_com) + chunk(
        body(QR | AA, ns=[soa("video-platform.com.")])) + chunk(ans_a)
    s["qmin-servfail-then-full"] = bytes([0x60, 0]) + chunk(body(QR | 2)) + chunk(ref_com) + chunk(ans_a)
    s["two-questions-shared"] = (bytes([0x60, 0]) + ask_again(1) + chunk(ref_com, 1) +
                                 chunk(ref_com, 0) + chunk(ans_a, 1) + chunk(ans_a, 0) + TIMEOUT * 4)
    return {k: v for k, v in s.items()}


def check():
    """Seeds for fuzz_check: the replies a `rootwalk check` gets (flags byte: 0x40 tracing,
    0x20 JSON traces, 0x01 JSON report, 0x02 serials mode; then the name/type byte and chunks as
    for upstream_reply)."""
    QR, AA, TC = 0x8000, 0x0400, 0x0200
    s = {}
    answer = body(QR | AA, an=[rr(QNAME, 1, a("192.0.2.1"))])
    soa_answer = body(QR | AA, an=[rr(QNAME, 6, b"\0\0" + struct.pack("!IIIII", 2026120301, 1, 2,
                                                                        3, 4))])
    # a referral to the question's own name, NS ns.<qname>, with glue (owner: a pointer to the
    # NS record's rdata, which follows the 40 bytes of header and question of
    # "www.video-platform.com. A" and the 12 of the NS record before its rdata)
    referral = body(QR, ns=[rr(QNAME, 2, b"\x02ns" + QNAME)],
                    ar=[rr(struct.pack("!H", 0xc000 | (40 + 12)), 1, a("192.0.2.53"))])
    s["silence"] = b"\x00\x00"
    s["timeouts-json"] = b"\x01\x00" + TIMEOUT * 10
    s["answer-aa"] = b"\x40\x00" + chunk(answer)
    s["referral-then-answers"] = (b"\x61\x00" + chunk(referral) +
                                  b"".join(chunk(soa_answer, w) for w in range(8)))
    s["refused"] = b"\x41\x08" + b"".join(chunk(body(QR | 5), w) for w in range(6))
    s["truncated"] = b"\x00\x00" + chunk(body(QR | AA | TC)) + chunk(answer)
    s["serials"] = b"\x43\x00" + chunk(soa_answer)
    s["lame-and-nxdomain"] = (b"\x01\x10" + chunk(referral) + chunk(body(QR)) +
                              chunk(body(QR | AA | 3, ns=[soa("video-platform.com.")]), 1))
    return s


def control():
    s = {}
    s["lookup"] = "lookup example.\nlookup example. json\nlookup nope.example.\nlookup .\n"
    s["lookup-hostile"] = ("lookup \\000\\\"\\\\.\\255\\010\\007.example.\n"
                           "lookup \\.dot.example. json\nlookup EXAMPLE.\n")
    s["dump"] = "dump-cache\ndump-cache json\n"
    s["stats-status-help"] = "stats\nstats json\nstatus\nhelp\n"
    s["reload"] = "reload\n"
    s["flush"] = ("flush nope.example. negative\nflush example. subtree\nflush . subtree negative\n"
                  "flush-all\ndump-cache\n")
    s["trace-cached"] = "trace www.example.\ntrace www.example. A json\ntrace example. TYPE65280\n"
    s["trace-fresh"] = "trace example. A fresh\ntrace nope.example. MX fresh json\n"
    s["trace-types"] = "trace example. AAAA\ntrace example. 257\ntrace example. TYPE1\ntrace example. ANY\n"
    s["crlf-tabs"] = "lookup\texample.\r\n  stats \t json \r\n"
    s["bad-requests"] = ("bogus\n\nlookup\nlookup ..\nlookup a..b\nflush example. fresh\n"
                         "trace example. A A\nstats json json\nlookup example. subtree\n"
                         "help me\nflush-all now\nlookup " + "a" * 64 + ".example.\n")
    s["bad-bytes"] = "lookup exa\x01mple.\nlookup \xc3\xa9.example.\nstats\x7f\n"
    s["long-name"] = "lookup " + ".".join(["a" * 63] * 4) + "\n" + "lookup " + ".".join(["b" * 63] * 3) + "\n"
    s["long-line"] = "lookup " + "x" * 5000 + "\n" + "stats\n"
    s["many-words"] = "trace " + " ".join(["example."] * 40) + "\n"
    s["no-newline"] = "status"
    s["load-cache"] = ("load-cache\n" + cachefile()["rrset-signed"].decode() +
                       "..\n" + "junk line\n" + cachefile()["negative"].decode() + ".\n"
                       "lookup a.example.\nload-cache json\nload-cache\nx\n")
    return {k: v.encode("latin-1") for k, v in s.items()}


def cachefile():
    """Lines as dump-cache writes them (every kind, hostile data), and broken ones."""
    t = ("stored=2026-11-25T10:00:00.123Z expires=2026-11-25T10:05:00.123Z "
         "local=2026-11-25T10:05:00+0000 ")
    src = "server=ns1.example. addr=192.0.2.30 zone=example. "
    s = {}
    s["rrset-signed"] = ("a.example. A rrset ttl=190 orig_ttl=300 " + t + src +
                         "rank=authoritative-answer vstate=secure rrsigs=1 data: 192.0.2.1 | "
                         "192.0.2.2 sigs: A 8 2 300 20261225000000 20261125000000 12345 example. "
                         "AAECAwQ=\n")
    s["txt-hostile"] = ("t.example. TXT rrset ttl=591 orig_ttl=600 " + t +
                        "server=ns\\032x.example. addr=198.51.100.7@5353 zone=? "
                        "rank=non-authoritative-answer vstate=unchecked data: \"x | y\" "
                        "\"data: z\" \"q\\\"r\" | \"\\255\\000;\" \"sigs:\" | \"(\" \"\"\n")
    s["generic-and-names"] = ("u.example. TYPE65400 rrset ttl=51 orig_ttl=60 " + t + src +
                              "rank=authoritative-answer vstate=unchecked data: \\# 3 7c2020\n"
                              "q\\034\\059\\124\\032x.example. MX rrset ttl=51 orig_ttl=60 " + t +
                              src + "rank=authoritative-answer vstate=bogus data: 10 m|.example.\n"
                              "n.example. NULL rrset ttl=1 orig_ttl=60 " + t + src +
                              "rank=glue vstate=insecure data: \\# 0\n")
    s["negative"] = ("nope.example. - nxdomain ttl=91 orig_ttl=100 " + t + src +
                     "rank=authoritative-authority vstate=unchecked soa: example. 100 IN SOA "
                     "ns1.example. host.example. 1 2 3 4 100 proof: m.example. 100 IN NSEC "
                     "p.example. A RRSIG NSEC\n"
                     "d.example. MX nodata ttl=5 orig_ttl=5 " + t +
                     "server=? addr=? zone=? rank=authoritative-answer vstate=unchecked\n"
                     ";; 2 entries\n\n")
    s["wildcard-glue"] = ("w.wild.example. A rrset ttl=111 orig_ttl=120 " + t + src +
                          "rank=authoritative-answer vstate=secure data: 192.0.2.9 proof: "
                          "v.wild.example. 120 IN NSEC x.wild.example. A RRSIG NSEC | "
                          "v.wild.example. 120 IN RRSIG NSEC 8 3 120 20261225000000 "
                          "20261125000000 12345 example. AAECAwQ=\n"
                          "ns1.example. A parent-glue ttl=3591 orig_ttl=3600 " + t + src +
                          "rank=glue vstate=unchecked data: 192.0.2.30\n")
    s["broken"] = ("garbage\nx.example. A frob stored=\nx.example. A rrset " + t +
                   "data: 192.0.2.1 |\nx.example. A rrset " + t + "orig_ttl=1 data: \"open\n"
                   "x.example. A rrset stored=2026-02-30T10:00:00.000Z\n"
                   "x.example. A rrset " + t + "orig_ttl=9 data: 1.2.3.4 data: 1.2.3.5\n"
                   "x.example. A rrset " + t + "orig_ttl=9 addr=::1@99999 data: 1.2.3.4\n")
    return {k: v.encode("latin-1") for k, v in s.items()}


def present():
    s = {}
    s["name-root"] = b"\0"
    s["name-plain"] = name("www.video-platform.com")
    s["name-escapes"] = b"\x08a.b;c(d)" + b"\x04e\\f\"" + b"\x06\x00\x20\x7f\xff\x09\x0a" + b"\0"
    s["name-255"] = (b"\x3f" + b"a" * 63) * 3 + b"\x3d" + b"b" * 61 + b"\0"
    s["name-all-bytes"] = b"".join(bytes([63]) + bytes(range(i, i + 63)) for i in (0, 63, 126)) + b"\0"
    s["name-high-bytes"] = b"\x3f" + bytes(range(193, 256)) + b"\0"
    recs = {
        "a": (1, a("203.0.113.42")), "aaaa": (28, bytes(range(16))),
        "ns": (2, name("ns1.dnshost.net")), "cname": (5, name("a.b")),
        "mx": (15, b"\x00\x0a" + name("mail.example")),
        "txt": (16, b"\x05hello\x06a\"b\\c;" + b"\x03\x00\x7f\xff"),
        "txt-empty-string": (16, b"\x00"),
        "soa": (6, name("ns1.example") + name("h.example") + struct.pack("!IIIII", 1, 2, 3, 4, 5)),
        "ptr": (12, name("video-platform.com")),
        "srv": (33, struct.pack("!HHH", 0, 5, 5060) + name("sip.example")),
        "caa": (257, b"\x80\x05issueca.example"),
        "ds": (43, struct.pack("!HBB", 12345, 8, 2) + bytes(32)),
        "unknown": (65280, b"\x01\x02\x03"),
        "a-short": (1, b"\x01\x02"),
        "empty-rdata-ns": (2, b""),
        "hinfo": (13, b"\x03cpu\x02os"),
        "dnskey-short": (48, struct.pack("!HB", 257, 3)),
        "dnskey": (48, struct.pack("!HBB", 257, 3, 13) + bytes(range(64))),
    }
    for k, (t, rdata) in recs.items():
        s["rr-" + k] = rr(b"\x03w\"w\x07example\x00", t, rdata, 300)
    s["rr-class-ch"] = rr("version.bind.", 16, b"\x04test", 0, 3)
    s["rr-ttl-top-bit"] = rr("x.", 1, a("1.2.3.4"), 0x80000000)
    for k, t in {"epoch": 0, "minus-1us": -1, "minus-1s": -1000000, "leap-2000": 951782400123456,
                 "leap-1900-not": -2203891200000000, "year-9999-end": 253402300799999999,
                 "year-10000": 253402300800000000, "year-0": -62167219200000000,
                 "year-minus-1": -62167219200000001, "now": 1795600000000000}.items():
        s["time-" + k] = struct.pack("<q", t)
    return s


GOOD_FULL = """# rootwalkd.conf with every key
server:
	listen: 127.0.0.53
	listen: 127.0.0.53@5353
	listen: ::1
	listen: [::1]@53
	listen: ::1@8053
	outgoing-interface: 127.0.0.1
	outgoing-interface: ::1
	root-hints: "zones/root.hints"
	trace-log: /tmp/rw/trace.log
	trace-format: json
	trace-names: video-platform.com, .net
	trace-clients: 127.0.0.0/8 ::1
	trace-only: miss
	do-not-query-localhost: no
	do-ip4: yes
	do-ip6: no
	cache-max-ttl: 86400
	cache-min-ttl: 0
	cache-max-negative-ttl: 3600
	cache-size: 64m
	max-cname-chain: 11
	max-ns-lookups: 5
	max-upstream-queries: 50
	upstream-timeout: 800
	query-budget: 10000
	upstream-port: 53
	qname-minimisation: yes
	use-caps-for-id: no
	max-subresolution-depth: 6
	infra-ttl: 900
	control-socket: /run/rootwalk/control.sock
	control-socket-mode: 0660
	control-socket-owner: rootwalk:adm
"""


def config():
    s = {}
    s["good-full"] = GOOD_FULL.replace("\tlisten: [::1]@53\n", "")
    s["good-lab"] = ("server:\n  listen: 127.0.0.53\n  root-hints: zones/root.hints\n"
                     "  do-not-query-localhost: no\n  trace-log: stderr\n  trace-format: text\n")
    s["good-empty"] = ""
    s["good-comments-only"] = "# nothing\n\n   # indented comment\n\t\n"
    s["good-crlf"] = "server:\r\nlisten: 127.0.0.1@53\r\ntrace-format: json\r\n"
    s["good-no-final-newline"] = "listen: 10.0.0.1"
    s["good-trailing-comment"] = "listen: 127.0.0.1 # loopback\ntrace-log: off # quiet\n"
    s["good-quoted"] = 'root-hints: "/etc/root hints # not a comment"  # comment\n'
    s["good-last-wins"] = "trace-log: a\ntrace-log: b\ntrace-log: off\nroot-hints: x\nroot-hints: y\n"
    s["good-listen-32"] = "".join("listen: 127.0.0.%d\n" % i for i in range(1, 33))
    s["good-ttl-bounds"] = "cache-max-ttl: 2147483647\ncache-min-ttl: 2147483647\n"
    s["bad-space-before-colon"] = "listen : 127.0.0.1\n"
    s["bad-unknown-key"] = "server:\n  listen: 127.0.0.1\n  frobnicate: yes\n"
    s["bad-no-colon"] = "listen 127.0.0.1\n"
    s["bad-missing-value"] = "root-hints:\n"
    s["bad-empty-quoted"] = 'root-hints: ""\n'
    s["bad-unterminated-quote"] = 'root-hints: "abc\n'
    s["bad-after-quote"] = 'root-hints: "abc" def\n'
    s["bad-bool"] = "do-not-query-localhost: true\n"
    s["bad-bool-case"] = "do-ip4: YES\n"
    s["bad-format"] = "trace-format: xml\n"
    s["bad-number"] = "cache-max-ttl: 12x\n"
    s["bad-number-negative"] = "cache-min-ttl: -1\n"
    s["bad-number-huge"] = "cache-max-ttl: 99999999999999999999999\n"
    s["bad-number-2pow31"] = "cache-max-ttl: 2147483648\n"
    s["bad-number-range"] = "max-cname-chain: 65\n"
    s["good-cache-size-bounds"] = "cache-size: 64k\ncache-size: 64g\ncache-size: 1G\n"
    s["bad-cache-size-small"] = "cache-size: 65535\n"
    s["bad-cache-size-suffix"] = "cache-size: 1mb\n"
    s["bad-cache-size-wrap"] = "cache-size: 4294967295k\n"
    s["bad-control-socket-relative"] = "control-socket: run/x.sock\n"
    s["bad-control-socket-long"] = "control-socket: /" + "p" * 107 + "\n"
    s["bad-control-socket-mode"] = "control-socket-mode: 1777\n"
    s["bad-subresolution-depth"] = "max-subresolution-depth: 8\n"
    s["good-control-socket-off"] = "control-socket: /a\ncontrol-socket: off\ncontrol-socket-mode: 0\n"
    s["bad-trace-clients-prefix"] = "trace-clients: 10.0.0.0/33\n"
    s["bad-trace-names"] = "trace-names: a..b\n"
    s["bad-trace-only"] = "trace-only: errors\n"
    s["good-trace-filters"] = ("trace-names: . example.com,net\ntrace-clients: 0.0.0.0/0, ::/0, "
                               "192.0.2.128/25\ntrace-only: fail\n")
    s["bad-upstream-queries-0"] = "max-upstream-queries: 0\n"
    s["bad-port-0"] = "upstream-port: 0\n"
    s["bad-port-65536"] = "listen: 127.0.0.1@65536\n"
    s["bad-listen-port-empty"] = "listen: 127.0.0.1@\n"
    s["bad-listen-name"] = "listen: localhost\n"
    s["bad-listen-ipv6-bracket"] = "listen: [::1]@53\n"
    s["bad-listen-33"] = "".join("listen: 127.0.0.%d\n" % i for i in range(1, 34))
    s["bad-outgoing-port"] = "outgoing-interface: 127.0.0.1@53\n"
    s["bad-min-over-max"] = "cache-max-ttl: 10\ncache-min-ttl: 20\n"
    s["bad-no-ip"] = "do-ip4: no\ndo-ip6: no\n"
    s["bad-server-value"] = "server: yes\n"
    s["bad-nul-byte"] = "listen: 127.0.0.1\0\n"
    s["bad-long-key"] = "k" * 100 + ": v\n"
    s["bad-long-value"] = "root-hints: " + "v" * 5000 + "\n"
    s["bad-control-chars"] = "\x1b[31mred: yes\n"
    s["bad-key-only-colon"] = ":\n"
    s["bad-tab-key"] = "\tlisten\t127.0.0.1\n"
    # Clauses and local zones in unbound.conf's form, several errors at once, suggestions.
    s["good-forward-zone"] = ("server:\n  listen: 127.0.0.53\nforward-zone:\n  name: \"example.org\"\n"
                              "  forward-addr: 192.0.2.1@5353\n  forward-addr: 2001:db8::1\n"
                              "  forward-host: resolver.example\n  forward-first: yes\n")
    s["good-stub-zone"] = ("stub-zone:\n\tname: corp.example.\n\tstub-addr: 10.0.0.53\n"
                           "\tstub-host: ns1.corp.example\n\tstub-prime: yes\n\tstub-first: no\n"
                           "server:\n\tupstream-port: 5300\n")
    s["good-local-zones"] = ("local-zone: \"home.arpa.\" static\nlocal-zone: ads.example always_nxdomain\n"
                             "local-data: \"printer.home.arpa. A 192.168.1.9\"\n"
                             "local-data: 'txt.home.arpa. 60 TXT \"a # b\"'\n"
                             "local-data: \"x.home.arpa PTR printer.home.arpa\"\n")
    s["good-root-forward-and-stubs"] = "".join(
        "stub-zone:\n name: z%d.example\n stub-addr: 192.0.2.%d\n" % (i, i) for i in range(1, 9)
    ) + "forward-zone:\n name: .\n forward-addr: ::1@53\n"
    s["bad-zone-no-name"] = "forward-zone:\n forward-addr: 192.0.2.1\n"
    s["bad-zone-no-servers"] = "stub-zone:\n name: a.example\n"
    s["bad-zone-duplicate"] = ("forward-zone:\n name: a.\n forward-addr: ::1\n"
                               "stub-zone:\n name: A.\n stub-addr: ::1\n name: b.\n")
    s["bad-zone-server-key"] = "forward-zone:\n name: a.\n forward-addr: ::1\n listen: ::1\n"
    s["bad-zone-key-in-server"] = "stub-addr: 192.0.2.1\nname: x.\n"
    s["bad-zone-values"] = ("stub-zone:\n name: a..b\n stub-addr: 192.0.2.300\n stub-addr: ::1@0\n"
                            " stub-host: x..y\n stub-prime: maybe\n")
    s["bad-clause-value"] = "forward-zone: now\n name: a.\n forward-addr: ::1\n"
    s["bad-foreign-clause"] = "remote-control:\n control-enable: yes\n listen: ::1\nserver:\n"
    s["bad-local-zone"] = ("local-zone: home.arpa. statik\nlocal-zone: home.arpa.\n"
                           "local-zone: x. static\nlocal-zone: X. deny\nlocal-zone: \"y. static\n")
    s["bad-local-data"] = "local-data: \"x. A 999.1.1.1\"\nlocal-data: \"x. TXT\"\nlocal-data: '\n"
    s["bad-unbound-names"] = ("interface: 127.0.0.1\nmsg-cache-size: 4m\nverbosity: 1\n"
                              "listne: ::1\nQname-Minimisation: yes\n")
    s["bad-many-errors"] = "".join("bogus%d: %d\n" % (i, i) for i in range(40)) + "cache-size: 1x\n"
    s["good-single-quotes"] = "root-hints: '/etc/my \"hints\" # 1' # comment\n"
    return {k: v.encode() if isinstance(v, str) else v for k, v in s.items()}


def main():
    for target, seeds in (("client_query", client_query()), ("tcp_frame", tcp_frame()),
                          ("config", config()), ("upstream_reply", upstream_reply()),
                          ("control", control()), ("present", present()),
                          ("cachefile", cachefile()), ("check", check())):
        d = os.path.join(HERE, "corpus", target)
        os.makedirs(d, exist_ok=True)
        for k, v in seeds.items():
            with open(os.path.join(d, "seed-" + k), "wb") as f:
                f.write(v)
        print("%s: %d seeds" % (target, len(seeds)))


if __name__ == "__main__":
    main()
