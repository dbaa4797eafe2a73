"""Starting and stopping: SIGTERM and SIGINT end rootwalkd cleanly (exit 0, no sanitizer output)."""

import signal
import socket

import dns.rcode
import pytest

from conftest import stops_cleanly
from rwlab import dnsq


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_exits_zero(start_rootwalkd, sig):
    r = start_rootwalkd()
    for qname, qtype in [("www.video-platform.com.", "A"), ("nope.video-platform.com.", "A"),
                         ("big.video-platform.com.", "TXT")]:
        dnsq.ask_stub(r.addr, qname, qtype)
    stops_cleanly(r, sig)


def test_sigterm_with_open_tcp_connection(start_rootwalkd):
    """An idle client connection must not keep the daemon from stopping."""
    r = start_rootwalkd()
    dnsq.ask(r.addr, "video-platform.com.", "A", tcp=True)
    with socket.create_connection((r.addr, 53), timeout=dnsq.TIMEOUT) as s:
        s.sendall(b"\x00")  # half a length prefix, then nothing
        stops_cleanly(r)


def test_sigterm_while_resolving(start_rootwalkd):
    """SIGTERM right after queries were sent (some still in flight): clean exit."""
    r = start_rootwalkd()
    names = ["video-platform.com.", "www.example.net.", "feeds.news.org.", "cdn.video-platform.com.",
             "www.lame.com."]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for n in names:
            s.sendto(dnsq.make_query(n, "A").to_wire(), (r.addr, 53))
        stops_cleanly(r)


def test_answers_after_start(start_rootwalkd):
    r = start_rootwalkd()
    m = dnsq.ask(r.addr, "video-platform.com.", "A")
    assert m.rcode() == dns.rcode.NOERROR
