"""Listening addresses and the loopback guard: defaults, IPv6, ports, do-not-query-localhost."""

import os
import signal
import subprocess

import dns.rcode
import dns.query
import pytest

import labtest
from labtest import lab

HINTS = os.path.join(labtest.REPO, "zones", "root.hints")


@pytest.fixture
def own_rootwalkd(the_lab, rootwalkd_binary, tmp_path):
    """Factory: rootwalkd with a configuration written by the test (no lab defaults)."""
    procs = []

    def start(conf_text, wait_addr, wait_port=53):
        conf = tmp_path / ("rootwalkd-%d.conf" % len(procs))
        conf.write_text(conf_text)
        err = open(tmp_path / ("stderr-%d" % len(procs)), "w+")
        p = subprocess.Popen([rootwalkd_binary, "-c", str(conf)], stdin=subprocess.DEVNULL,
                             stdout=err, stderr=subprocess.STDOUT)
        procs.append((p, err))
        try:
            lab.wait_listening(wait_addr, wait_port, proc=p, what="rootwalkd")
        except lab.LabError:
            err.seek(0)
            pytest.fail("rootwalkd did not start: %s" % err.read()[-3000:])
        return p

    yield start
    for p, err in procs:
        rc = lab.stop_process(p, signal.SIGTERM)
        err.seek(0)
        out = err.read()
        err.close()
        assert not labtest.sanitizer_lines(out), out[-6000:]
        assert rc == 0, "exit status %s:\n%s" % (rc, out[-3000:])


def test_default_listen_and_loopback_guard(own_rootwalkd, tmp_path):
    """No listen line: 127.0.0.1 and ::1 port 53. No do-not-query-localhost: it is yes, so the
    loopback addresses learned from the lab's referrals are never asked and the answer is
    SERVFAIL. The root hints are the operator's own choice and are asked (as Knot Resolver
    does): every upstream query goes to a root server of the hints file."""
    trace = tmp_path / "trace.json"
    own_rootwalkd("root-hints: %s\ntrace-log: %s\ntrace-format: json\n" % (HINTS, trace),
                  "127.0.0.1")
    assert lab.wait_listening("::1", 53, timeout=2) is None
    for addr in ("127.0.0.1", "::1"):
        for tcp in (False, True):
            r = labtest.ask(addr, "video-platform.com.", "A", tcp=tcp)
            assert r.rcode() == dns.rcode.SERVFAIL, "%s tcp=%s: %s" % (addr, tcp,
                                                                    labtest.rcode_text(r))
    traces = labtest.wait_trace(str(trace), "video-platform.com.", "A", count=4)
    assert len(traces) == 4, "want 4 traces"
    sends = [e for t in traces for e in t if e["ev"] == "send"]
    hints = {"127.1.0.1", "127.1.0.2"}
    others = [e for e in sends if e["addr"] not in hints]
    assert sends and not others, \
        "upstream queries to loopback beyond the hints with do-not-query-localhost on: %r" % others


def test_ipv6_and_port(own_rootwalkd):
    own_rootwalkd("listen: 2001:db8::53\nlisten: 127.0.0.61@5353\nroot-hints: %s\n"
                  "do-not-query-localhost: no\n" % HINTS, "2001:db8::53")
    assert lab.wait_listening("127.0.0.61", 5353, timeout=2) is None
    for tcp in (False, True):
        r = labtest.ask("2001:db8::53", "video-platform.com.", "AAAA", tcp=tcp)
        assert r.rcode() == dns.rcode.NOERROR
        assert [rr.to_text() for rrset in r.answer for rr in rrset] == ["2001:db8::1"]
    q = labtest.make_query("www.video-platform.com.", "A")
    r = dns.query.udp(q, "127.0.0.61", port=5353, timeout=labtest.TIMEOUT)
    assert [rr.to_text() for rrset in r.answer for rr in rrset] == \
        ["video-platform.com.", "203.0.113.42"]


def test_outgoing_interface(own_rootwalkd):
    """Upstream queries from a configured source address still resolve."""
    own_rootwalkd("listen: 127.0.0.62\noutgoing-interface: 127.0.0.99\nroot-hints: %s\n"
                  "do-not-query-localhost: no\n" % HINTS, "127.0.0.62")
    r = labtest.ask("127.0.0.62", "feeds.news.org.", "TXT")
    assert r.rcode() == dns.rcode.NOERROR
    assert [rr.to_text() for rrset in r.answer for rr in rrset] == ['"rss" "atom"']
