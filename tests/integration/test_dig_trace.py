"""`dig +trace` through the resolver (issue 6: "dig +trace @127.0.0.1 NAME works through
rootwalkd").

dig +trace asks the resolver it is given for ". NS" (RD=0), then walks the hierarchy itself,
looking up the address of each name server it is referred to with the *system* resolver
(/etc/resolv.conf), which does not exist inside the lab's network namespace. Each dig here runs
in a mount namespace of its own whose /etc/resolv.conf names the resolver under test
(isolate.with_resolv_conf); `scripts/in_lab.sh --resolv-conf 127.0.0.53` does the same by hand.
Every dig is bounded: one try, 2 s per query, 30 s in all.
"""

import re
import subprocess
import tempfile

from rwlab import isolate, traces
from rwlab.traces import norm_name

DIG_TIMEOUT = 30  # seconds one whole dig +trace may take
RECEIVED = re.compile(
    r"^;; Received (\d+) bytes from ([0-9a-fA-F.:]+)#(\d+)\(([^)]*)\) in (\d+) ms")

ROOT = {"127.1.0.1", "127.1.0.2"}
COM = {"127.2.0.1"}
ARPA = {"127.2.0.4"}
IN_ADDR = {"127.2.0.5"}
DNSHOST = {"127.3.0.1", "127.3.0.2"}


def dig_trace(the_lab, resolver_addr, *args):
    """Run dig +trace against resolver_addr with the system resolver pointing at it too.
    Returns (exit status, output, [blocks]); a block is (server addr, server name, bytes,
    [(owner, type, rdata)]) for each ";; Received" step, in order."""
    d = tempfile.mkdtemp(prefix="dig-", dir=the_lab.tmp)
    cmd = isolate.with_resolv_conf(resolver_addr, [
        "timeout", "-k", "2", str(DIG_TIMEOUT - 5), "dig", "+trace", "+tries=1", "+time=2",
        "+nodnssec", "@" + resolver_addr] + list(args), d)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=DIG_TIMEOUT)
    out = p.stdout + p.stderr
    blocks, rrs = [], []
    for line in p.stdout.splitlines():
        m = RECEIVED.match(line)
        if m:
            blocks.append((m.group(2), m.group(4), int(m.group(1)), rrs))
            rrs = []
        elif line.strip() and not line.startswith(";"):
            f = line.split(None, 4)
            if len(f) == 5 and f[2] == "IN":
                rrs.append((norm_name(f[0]), f[3], f[4].strip()))
    return p.returncode, out, blocks


def show(blocks):
    return "\n".join("%s (%s) %d B: %s" % (a, n, b, "; ".join(" ".join(r) for r in rrs))
                     for a, n, b, rrs in blocks)


def ns_of(rrs, zone):
    return sorted(norm_name(rd) for owner, t, rd in rrs if t == "NS" and owner == zone)


def check_walk(out, blocks, resolver_addr, steps):
    """steps: [(zone, servers allowed to have said it, NS names)] after the first block (the
    resolver's ". NS"); the last block is checked by the caller."""
    assert len(blocks) == len(steps) + 2, "want %d steps, dig showed:\n%s\n%s" % (
        len(steps) + 2, show(blocks), out[-3000:])
    addr, _, _, rrs = blocks[0]
    assert addr == resolver_addr, "the first step came from %s:\n%s" % (addr, show(blocks))
    assert ns_of(rrs, ".") == ["a.root-servers.net.", "b.root-servers.net."], show(blocks)
    asked = ROOT
    for (zone, servers, names), (addr, name, size, rrs) in zip(steps, blocks[1:]):
        assert addr in asked, "%s was said by %s (%s), not one of %s:\n%s" % (
            zone, addr, name, sorted(asked), show(blocks))
        assert ns_of(rrs, zone) == names, "referral to %s: %s\n%s" % (zone, rrs, show(blocks))
        assert size > 0
        asked = servers
    return asked


def client_questions(r):
    """(qname, qtype) of every client query in a rootwalkd's JSON trace log."""
    out = []
    for t in traces.read_json_traces(r.trace_log).values():
        q = [e for e in t if e["ev"] == "query" and e.get("proto") in ("udp", "tcp")]
        if q:
            out.append((norm_name(q[0]["qname"]), q[0]["qtype"]))
    return out


def test_dig_trace_through_rootwalkd(the_lab, start_rootwalkd):
    """A cold rootwalkd: dig +trace shows the root NS set from rootwalkd, then the root's
    referral to com., com.'s referral to video-platform.com. and the final answer, and every
    name server address dig needed came from rootwalkd."""
    r = start_rootwalkd()
    rc, out, blocks = dig_trace(the_lab, r.addr, "www.video-platform.com")
    assert rc == 0, "dig +trace exit %d:\n%s" % (rc, out[-4000:])
    last_servers = check_walk(out, blocks, r.addr, [
        ("com.", COM, ["a.gtld-servers.net."]),
        ("video-platform.com.", DNSHOST, ["ns1.dnshost.net.", "ns2.dnshost.net."]),
    ])
    addr, name, size, rrs = blocks[-1]
    assert addr in last_servers, "the answer came from %s (%s):\n%s" % (addr, name, show(blocks))
    assert ("www.video-platform.com.", "CNAME", "video-platform.com.") in rrs, show(blocks)
    assert ("video-platform.com.", "A", "203.0.113.42") in rrs, show(blocks)

    # dig asked rootwalkd for ". NS" and, as its system resolver, for the addresses of the
    # servers it was referred to (the root servers, com.'s, and the glueless dnshost.net ones).
    want = [(".", "NS")] + [(n, "A") for n in ("a.root-servers.net.", "a.gtld-servers.net.",
                                              "ns1.dnshost.net.")]
    for qname, qtype in want:  # traces are written just after the answers: wait for each
        traces.wait_trace(r.trace_log, qname, qtype)
    asked = client_questions(r)
    for q in want:
        assert q in asked, "dig did not ask rootwalkd %s %s: it asked %s" % (q + (asked,))


def test_dig_trace_reverse(the_lab, resolver):
    """dig +trace -x 203.0.113.42 walks . -> arpa. -> in-addr.arpa. -> 113.0.203.in-addr.arpa.
    (also with LAB_RESOLVER=unbound, which checks the test itself)."""
    rc, out, blocks = dig_trace(the_lab, resolver.addr, "-x", "203.0.113.42")
    assert rc == 0, "dig +trace exit %d:\n%s" % (rc, out[-4000:])
    last_servers = check_walk(out, blocks, resolver.addr, [
        ("arpa.", ARPA, ["a.arpa-servers.net."]),
        ("in-addr.arpa.", IN_ADDR, ["a.in-addr-servers.arpa."]),
        ("113.0.203.in-addr.arpa.", DNSHOST, ["ns1.dnshost.net.", "ns2.dnshost.net."]),
    ])
    addr, name, size, rrs = blocks[-1]
    assert addr in last_servers, show(blocks)
    assert ("42.113.0.203.in-addr.arpa.", "PTR", "video-platform.com.") in rrs, show(blocks)


def test_dig_trace_without_a_system_resolver_fails_cleanly(the_lab, resolver):
    """The reason for the mount namespace: with the namespace's own resolv.conf (no resolver
    reachable), dig +trace gets ". NS" from the resolver but cannot look up a root server,
    and it gives up within its bounds instead of hanging. Nothing leaves the namespace."""
    d = tempfile.mkdtemp(prefix="dig-", dir=the_lab.tmp)
    # A resolv.conf naming an address where nothing listens: what the host's file amounts to
    # in here (its addresses are unreachable from a namespace that has only lo).
    cmd = isolate.with_resolv_conf("127.0.0.9", [
        "timeout", "-k", "2", "20", "dig", "+trace", "+tries=1", "+time=1",
        "@" + resolver.addr, "www.video-platform.com"], d)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=DIG_TIMEOUT)
    out = p.stdout + p.stderr
    assert "a.root-servers.net." in out, out[-2000:]
    assert "couldn't get address" in out, out[-2000:]
    assert "203.0.113.42" not in out, out[-2000:]
