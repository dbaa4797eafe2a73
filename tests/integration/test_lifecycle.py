"""Starting and stopping: SIGTERM and SIGINT end rootwalkd cleanly (exit 0, no sanitizer output)."""

import signal
import socket

import dns.rcode
import pytest

import labtest


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_exits_zero(start_rootwalkd, sig):
    r = start_rootwalkd()
    for qname, qtype in [("www.video-platform.com.", "A"), ("nope.video-platform.com.", "A"),
                         ("big.video-platform.com.", "TXT")]:
        labtest.ask_stub(r.addr, qname, qtype)
    rc = r.stop(sig)
    err = r.stderr()
    assert rc == 0, "exit status %s after %s; stderr:\n%s" % (rc, sig.name, err[-4000:])
    assert not labtest.sanitizer_lines(err), err[-6000:]


def test_sigterm_with_open_tcp_connection(start_rootwalkd):
    """An idle client connection must not keep the daemon from stopping."""
    r = start_rootwalkd()
    labtest.ask(r.addr, "video-platform.com.", "A", tcp=True)
    with socket.create_connection((r.addr, 53), timeout=labtest.TIMEOUT) as s:
        s.sendall(b"\x00")  # half a length prefix, then nothing
        rc = r.stop(signal.SIGTERM)
    err = r.stderr()
    assert rc == 0, "exit status %s; stderr:\n%s" % (rc, err[-4000:])
    assert not labtest.sanitizer_lines(err), err[-6000:]


def test_sigterm_while_resolving(start_rootwalkd):
    """SIGTERM right after queries were sent (some still in flight): clean exit."""
    r = start_rootwalkd()
    names = ["video-platform.com.", "www.example.net.", "feeds.news.org.", "cdn.video-platform.com.",
             "www.lame.com."]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for n in names:
            s.sendto(labtest.make_query(n, "A").to_wire(), (r.addr, 53))
        rc = r.stop(signal.SIGTERM)
    err = r.stderr()
    assert rc == 0, "exit status %s; stderr:\n%s" % (rc, err[-4000:])
    assert not labtest.sanitizer_lines(err), err[-6000:]


def test_answers_after_start(start_rootwalkd):
    r = start_rootwalkd()
    m = labtest.ask(r.addr, "video-platform.com.", "A")
    assert m.rcode() == dns.rcode.NOERROR
