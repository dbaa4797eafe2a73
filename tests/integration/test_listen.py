"""Listening addresses and the loopback guard: defaults, IPv6, ports, do-not-query-localhost."""


import dns.rcode
import dns.query
import pytest

import rwlab
from conftest import stops_cleanly
from rwlab import dnsq, procs, traces



HINTS = rwlab.ROOT_HINTS


@pytest.fixture
def own_rootwalkd(the_lab, rootwalkd_binary, tmp_path):
    """Factory: rootwalkd with a configuration written by the test (no lab defaults)."""
    started = []

    def start(conf_text, wait_addr, wait_port=53):
        conf = tmp_path / ("rootwalkd-%d.conf" % len(started))
        # The lab root is signed: its trust anchor, where the binary has the key.
        # As every lab daemon: stay the namespace's root, no control socket in /run.
        conf.write_text(conf_text + 'username: ""\ncontrol-socket: off\n' +
                        the_lab.rootwalkd_dnssec(rootwalkd_binary))
        p = procs.Proc([rootwalkd_binary, "-c", str(conf)],
                       str(tmp_path / ("stderr-%d" % len(started))), name="rootwalkd")
        started.append(p)
        try:
            procs.wait_listening(wait_addr, wait_port, proc=p, what="rootwalkd")
        except rwlab.LabError as e:
            pytest.fail("rootwalkd did not start (%s): %s" % (e, p.output(3000)))
        return p

    yield start
    for p in started:
        stops_cleanly(p)


def test_default_listen_and_loopback_guard(own_rootwalkd, tmp_path):
    """No listen line: 127.0.0.1 and ::1 port 53. No do-not-query-localhost: it is yes, so the
    loopback addresses learned from the lab's referrals are never asked and the answer is
    SERVFAIL. The root hints are the operator's own choice and are asked (as Knot Resolver
    does): every upstream query goes to a root server of the hints file."""
    trace = tmp_path / "trace.json"
    own_rootwalkd("root-hints: %s\ntrace-log: %s\ntrace-format: json\n" % (HINTS, trace),
                  "127.0.0.1")
    assert procs.wait_listening("::1", 53, timeout=2) is None
    for addr in ("127.0.0.1", "::1"):
        for tcp in (False, True):
            r = dnsq.ask(addr, "video-platform.com.", "A", tcp=tcp)
            assert r.rcode() == dns.rcode.SERVFAIL, "%s tcp=%s: %s" % (addr, tcp,
                                                                    dnsq.rcode_text(r))
    got = traces.wait_trace(str(trace), "video-platform.com.", "A", count=4)
    assert len(got) == 4, "want 4 traces"
    sends = [e for t in got for e in t if e["ev"] == "send"]
    hints = {"127.1.0.1", "127.1.0.2"}
    others = [e for e in sends if e["addr"] not in hints]
    assert sends and not others, \
        "upstream queries to loopback beyond the hints with do-not-query-localhost on: %r" % others


def test_ipv6_and_port(own_rootwalkd):
    # the client is 2001:db8::53 too: not loopback, refused unless allowed
    own_rootwalkd("listen: 2001:db8::53\nlisten: 127.0.0.61@5353\nroot-hints: %s\n"
                  "do-not-query-localhost: no\naccess-control: 2001:db8::53 allow\n" % HINTS,
                  "2001:db8::53")
    assert procs.wait_listening("127.0.0.61", 5353, timeout=2) is None
    for tcp in (False, True):
        r = dnsq.ask("2001:db8::53", "video-platform.com.", "AAAA", tcp=tcp)
        assert r.rcode() == dns.rcode.NOERROR
        assert [rr.to_text() for rrset in r.answer for rr in rrset] == ["2001:db8::1"]
    q = dnsq.make_query("www.video-platform.com.", "A")
    r = dns.query.udp(q, "127.0.0.61", port=5353, timeout=dnsq.TIMEOUT)
    assert [rr.to_text() for rrset in r.answer for rr in rrset] == \
        ["video-platform.com.", "203.0.113.42"]


def test_outgoing_interface(own_rootwalkd):
    """Upstream queries from a configured source address still resolve."""
    own_rootwalkd("listen: 127.0.0.62\noutgoing-interface: 127.0.0.99\nroot-hints: %s\n"
                  "do-not-query-localhost: no\n" % HINTS, "127.0.0.62")
    r = dnsq.ask("127.0.0.62", "feeds.news.org.", "TXT")
    assert r.rcode() == dns.rcode.NOERROR
    assert [rr.to_text() for rrset in r.answer for rr in rrset] == ['"rss" "atom"']
