"""CHAOS class questions (issue 13): version.bind, version.server, id.server and hostname.bind
answered as Unbound answers them (checked against Unbound in the lab), hide-version and
hide-identity refusing them, and every other CHAOS question REFUSED, never NOTIMP."""

import socket
import subprocess

import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype

from rwlab import resolvers

TIMEOUT = 3
VERSION = ["version.bind.", "version.server.", "VERSION.Bind."]
IDENTITY = ["id.server.", "hostname.bind.", "ID.SERVER."]


def ask(addr, name, qtype="TXT", qclass="CH", tcp=False):
    q = dns.message.make_query(name, qtype, qclass, use_edns=0, payload=1232)
    if tcp:
        return dns.query.tcp(q, addr, timeout=TIMEOUT)
    return dns.query.udp(q, addr, timeout=TIMEOUT)


def txt(m):
    """(owner, class, TTL, text) of each answer record."""
    return [(rrset.name.to_text(), dns.rdataclass.to_text(rrset.rdclass), rrset.ttl,
             b"".join(rr.strings).decode()) for rrset in m.answer for rr in rrset]


def rootwalkd_version(binary):
    out = subprocess.run([binary, "-V"], capture_output=True, text=True, timeout=10).stdout
    return out.strip()


def test_version_and_identity(start_rootwalkd):
    r = start_rootwalkd()
    version = rootwalkd_version(resolvers.rootwalkd_binary())
    assert version.startswith("rootwalkd "), version
    for name in VERSION:
        for qtype in ("TXT", "ANY"):
            for tcp in (False, True):
                m = ask(r.addr, name, qtype, tcp=tcp)
                assert m.rcode() == dns.rcode.NOERROR, (name, qtype, m)
                # the owner as asked, class CH, TTL 0, no AA (as Unbound)
                assert txt(m) == [(name, "CH", 0, version)], m
                assert not m.flags & dns.flags.AA
                assert m.edns == 0
    for name in IDENTITY:
        m = ask(r.addr, name)
        assert txt(m) == [(name, "CH", 0, socket.gethostname())], m


def test_identity_option(start_rootwalkd):
    r = start_rootwalkd(extra='identity: "resolver 7 in rack 2"\n')
    for name in IDENTITY:
        assert txt(ask(r.addr, name)) == [(name, "CH", 0, "resolver 7 in rack 2")]


def test_long_identity_is_one_string(start_rootwalkd):
    """An identity longer than a TXT string can hold is cut to 255 bytes, over UDP and TCP."""
    r = start_rootwalkd(extra="identity: %s\n" % ("x" * 300))
    for tcp in (False, True):
        assert txt(ask(r.addr, "id.server.", tcp=tcp)) == [("id.server.", "CH", 0, "x" * 255)]


def test_other_chaos_questions_are_refused(start_rootwalkd):
    r = start_rootwalkd()
    for name, qtype in (("version.bind.", "A"), ("authors.bind.", "TXT"),
                        ("bind.", "TXT"), ("x.version.bind.", "TXT"),
                        ("video-platform.com.", "A"), ("version.bind.", "AXFR")):
        m = ask(r.addr, name, qtype, tcp=qtype == "AXFR")
        assert m.rcode() == dns.rcode.REFUSED, (name, qtype, dns.rcode.to_text(m.rcode()))
        assert not m.answer
    # Another class than IN and CH is still not implemented.
    m = ask(r.addr, "version.bind.", "TXT", "HS")
    assert m.rcode() == dns.rcode.NOTIMP


def test_hidden(start_rootwalkd):
    r = start_rootwalkd(extra="hide-version: yes\n")
    for name in VERSION:
        assert ask(r.addr, name).rcode() == dns.rcode.REFUSED
    assert txt(ask(r.addr, "id.server."))[0][3] == socket.gethostname()
    r2 = start_rootwalkd(extra="hide-identity: yes\nidentity: secret\n")
    for name in IDENTITY:
        assert ask(r2.addr, name).rcode() == dns.rcode.REFUSED
    assert ask(r2.addr, "version.bind.").rcode() == dns.rcode.NOERROR


def dig(addr, *args):
    return subprocess.run(["dig", "@" + addr, "+time=2", "+tries=1"] + list(args),
                          capture_output=True, text=True, timeout=10).stdout


def test_dig_like_unbound(the_lab, start_rootwalkd):
    """dig sees the same status, flags and record shape from both resolvers (only the version
    and identity texts differ)."""
    r = start_rootwalkd()
    u = the_lab.start_unbound(addr="127.0.0.249")
    try:
        for q in (["version.bind", "TXT", "CH"], ["id.server", "TXT", "CH"],
                  ["hostname.bind", "ANY", "CH"], ["version.bind", "A", "CH"],
                  ["foo.example", "TXT", "CH"]):
            shapes = []
            for addr in (r.addr, u.addr):
                out = dig(addr, *q)
                status = [l for l in out.splitlines() if "status:" in l]
                flags = [l.split(";")[2] for l in out.splitlines() if l.startswith(";; flags:")]
                recs = [l.split()[:4] for l in out.splitlines() if l and not l.startswith(";")]
                assert status, out
                shapes.append((status[0].split(",")[1], flags, recs))
            assert shapes[0] == shapes[1], (q, shapes)
    finally:
        u.stop()
