"""Bad client input: every malformed packet gets FORMERR or no answer, never a crash, and the
daemon keeps answering afterwards."""

import random
import socket
import struct

import dns.message
import dns.rcode
import pytest

from conftest import still_answers
from rwlab import dnsq



def header(id_=0x1234, flags=0x0100, qd=1, an=0, ns=0, ar=0):
    return struct.pack("!HHHHHH", id_, flags, qd, an, ns, ar)


QUESTION = b"\x0evideo-platform\x03com\x00" + struct.pack("!HH", 1, 1)

_rng = random.Random(20261125)  # fixed seed: the same garbage every run

CASES = {
    "empty": b"",
    "one-byte": b"\x12",
    "short-header": header()[:7],
    "header-only-qd1": header(),
    "qdcount-0": header(qd=0),
    "qdcount-2": header(qd=2) + QUESTION + QUESTION,
    "truncated-question": header() + QUESTION[:9],
    "label-too-long": header() + b"\x50" + b"a" * 80 + b"\x00" + struct.pack("!HH", 1, 1),
    "compression-loop": header() + b"\xc0\x0c" + struct.pack("!HH", 1, 1),
    "pointer-forward": header() + b"\xc0\x30" + struct.pack("!HH", 1, 1) + b"\x00" * 40,
    "trailing-garbage": header() + QUESTION + b"\xff" * 13,
    "ancount-lies": header(an=5) + QUESTION,
    "garbage-question": header() + bytes(_rng.randrange(256) for _ in range(100)),
    "response-packet": header(flags=0x8180) + QUESTION,
}

# A reply is allowed only when it is FORMERR; nothing at all is always allowed. Data after a
# complete question (with every count zero) may also be ignored and the query answered.
ALLOWED = {dns.rcode.FORMERR}
EXTRA_ALLOWED = {"trailing-garbage": {dns.rcode.NOERROR}}


def check_reply(reply, sent, name):
    if reply is None:
        return
    assert len(reply) >= 12, "%s: answered with %d bytes" % (name, len(reply))
    rid, flags = struct.unpack("!HH", reply[:4])
    assert flags & 0x8000, "%s: reply without QR" % name
    rcode = flags & 0xF
    assert rcode in ALLOWED | EXTRA_ALLOWED.get(name, set()), "%s: answered with rcode %s, expected FORMERR or nothing" % (
        name, dns.rcode.to_text(rcode))
    if len(sent) >= 2:
        assert rid == struct.unpack("!H", sent[:2])[0], "%s: ID not echoed" % name


@pytest.mark.parametrize("name", sorted(CASES))
def test_malformed_udp(resolver, name):
    pkt = CASES[name]
    reply = dnsq.udp_exchange(resolver.addr, pkt, wait=0.5)
    check_reply(reply, pkt, name)
    still_answers(resolver.addr)


@pytest.mark.parametrize("name", ["short-header", "qdcount-2", "garbage-question",
                                  "compression-loop", "response-packet"])
def test_malformed_tcp(resolver, name):
    pkt = CASES[name]
    replies, _ = dnsq.tcp_exchange(resolver.addr, dnsq.frame(pkt), wait=0.5)
    for r in replies:
        check_reply(r, pkt, "tcp " + name)
    still_answers(resolver.addr)


def test_opcode_not_query(resolver):
    """Opcode STATUS (2): NOTIMP (or FORMERR, or nothing)."""
    pkt = header(flags=0x1100) + QUESTION
    reply = dnsq.udp_exchange(resolver.addr, pkt, wait=0.5)
    if reply is not None:
        flags = struct.unpack("!H", reply[2:4])[0]
        assert flags & 0x8000
        assert flags & 0xF in (dns.rcode.NOTIMP, dns.rcode.FORMERR), \
            "opcode STATUS answered with %s" % dns.rcode.to_text(flags & 0xF)
    still_answers(resolver.addr)


def test_edns_version_1(resolver):
    """EDNS version 1: BADVERS (RFC 6891 6.1.3)."""
    q = dns.message.make_query("video-platform.com.", "A")
    q.use_edns(edns=1, payload=1232)
    assert q.edns == 1
    reply = dnsq.udp_exchange(resolver.addr, q.to_wire(), wait=dnsq.TIMEOUT)
    assert reply is not None, "no answer to an EDNS version 1 query"
    r = dns.message.from_wire(reply)
    assert r.rcode() == dns.rcode.BADVERS, "got %s" % dnsq.rcode_text(r)
    assert not r.answer
    still_answers(resolver.addr)


def test_tcp_zero_length_frame(resolver):
    replies, _ = dnsq.tcp_exchange(resolver.addr, b"\x00\x00", wait=0.5)
    assert replies == [] or all(len(r) >= 12 for r in replies)
    still_answers(resolver.addr)


def test_tcp_frame_longer_than_data(resolver):
    """A frame announcing more bytes than sent, then the client goes away."""
    replies, _ = dnsq.tcp_exchange(resolver.addr, b"\x10\x00" + header() + QUESTION, wait=0.3)
    assert replies == []
    still_answers(resolver.addr)


def test_many_bad_then_good(resolver):
    """A bounded burst of garbage (200 packets), then a normal query."""
    rng = random.Random(7)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for _ in range(200):
            s.sendto(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300))),
                     (resolver.addr, 53))
    still_answers(resolver.addr)
