"""Fixtures for the lab integration tests.

Run inside a private network namespace (scripts/in_lab.sh); the lab refuses to start anywhere
else. The lab's NSD servers start once per session; rootwalkd starts once per test module (and
tests that need a cold cache or a special config start their own through `start_rootwalkd`).
Every process is stopped by the fixture that started it.

Environment:
  ROOTWALKD      path of the daemon (default build/src/daemon/rootwalkd)
  LAB_RESOLVER   "rootwalkd" (default) or "unbound": which resolver the generic tests ask.
                 With "unbound" the expectations themselves are checked against a reference
                 resolver, and rootwalkd-only tests are skipped.
"""

import os
import signal
import sys
import tempfile

import dns.rcode
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "scripts"))

from rwlab import (LabError, control, dnsq, isolate, procs, resolvers, traces,  # noqa: E402
                   zonefiles)
from rwlab.labnet import Lab  # noqa: E402

UNDER_TEST = os.environ.get("LAB_RESOLVER", "rootwalkd")
_next_addr = [60]


def _check_sanitizers(r, when=""):
    """Fail if r wrote sanitizer output not already reported by an earlier test."""
    text = r.stderr()[getattr(r, "checked_upto", 0):]
    bad = procs.sanitizer_lines(text)
    if bad:
        pytest.fail("%s %s wrote sanitizer output%s:\n%s" % (r.kind, r.addr, when,
                                                          text[-6000:]), pytrace=False)


def _stop_and_check(r):
    """SIGTERM a rootwalkd, then fail if it wrote sanitizer output (leaks show up at exit)."""
    r.stop(signal.SIGTERM)
    _check_sanitizers(r, when=" (seen when it was stopped)")


@pytest.fixture(scope="session")
def the_lab():
    isolate.ensure_isolated()
    l = Lab()
    l.start()
    yield l
    l.stop()


@pytest.fixture(scope="session")
def zones():
    return zonefiles.load_zones()


@pytest.fixture(scope="session")
def unbound(the_lab):
    r = the_lab.start_unbound()
    yield r
    r.stop()


def stops_cleanly(r, sig=signal.SIGTERM):
    """Stop r (a resolver, or a procs.Proc) with sig: it must exit with status 0 and without
    sanitizer output."""
    rc = r.stop(sig)
    out = r.stderr() if hasattr(r, "stderr") else r.output()
    assert not procs.sanitizer_lines(out), out[-6000:]
    assert rc == 0, "exit status %s after %s; its output:\n%s" % (rc, signal.Signals(sig).name,
                                                                 out[-4000:])


def still_answers(addr):
    """The resolver at addr still answers the story's question: video-platform.com A."""
    m = dnsq.ask(addr, "video-platform.com.", "A")
    assert m.rcode() == dns.rcode.NOERROR, dnsq.rcode_text(m)
    assert dnsq.records(m) == [("video-platform.com.", "A", "203.0.113.42")], m.answer


def need_rootwalkd():
    if UNDER_TEST != "rootwalkd":
        pytest.skip("rootwalkd-only test (LAB_RESOLVER=%s)" % UNDER_TEST)


class Revivable:
    """The module's rootwalkd. If it dies, the test during which it died fails (see
    pytest_runtest_call) and the next test gets a new one on the same address, so one crash is
    reported once instead of as a timeout in every later test."""

    def __init__(self, the_lab):
        self.lab = the_lab
        self.r = None
        self.generation = 0
        self.start()

    def start(self):
        self.r = self.lab.start_rootwalkd(trace_format="json",
                                          name="rootwalkd-module-%d" % self.generation)
        self.generation += 1

    def revive(self):
        if self.r.proc.poll() is not None:
            self.start()

    def __getattr__(self, name):
        return getattr(self.r, name)


@pytest.fixture(scope="module")
def rootwalkd(the_lab):
    need_rootwalkd()
    r = Revivable(the_lab)
    yield r
    _stop_and_check(r.r)


@pytest.fixture(autouse=True)
def _revive_module_rootwalkd(request):
    for name in ("rootwalkd", "resolver", "compared"):
        if name in request.fixturenames:
            r = request.getfixturevalue(name)
            if isinstance(r, Revivable):
                r.revive()


@pytest.fixture(scope="module")
def resolver(the_lab, request):
    """The resolver under test: rootwalkd, or unbound with LAB_RESOLVER=unbound."""
    if UNDER_TEST == "unbound":
        return request.getfixturevalue("unbound")
    return request.getfixturevalue("rootwalkd")


@pytest.fixture
def start_rootwalkd(the_lab):
    """Factory: start a fresh rootwalkd (cold cache) on its own address; stopped after the test."""
    need_rootwalkd()
    started = []

    def start(trace_format="json", extra="", wait=True, root_hints=None, env=None):
        n = _next_addr[0]
        _next_addr[0] += 1
        # 127.0.0.60-254, then 127.0.100-109.1-254 (no lab server or test client uses those)
        addr = "127.0.0.%d" % n if n <= 254 else "127.0.%d.%d" % (100 + (n - 255) // 254,
                                                                  1 + (n - 255) % 254)
        r = the_lab.start_rootwalkd(addr=addr, trace_format=trace_format, extra=extra,
                                    name="rootwalkd-%d" % len(started), wait=wait,
                                    root_hints=root_hints, env=env)
        started.append(r)
        return r

    yield start
    for r in started:
        _stop_and_check(r)


@pytest.fixture
def rootwalkd_binary():
    need_rootwalkd()
    try:
        return resolvers.rootwalkd_binary()
    except LabError as e:
        pytest.fail(str(e))


@pytest.fixture
def start_ctl(the_lab, start_rootwalkd):
    """Factory: a fresh rootwalkd (see start_rootwalkd) with a control socket in a directory of
    its own, as a control.Control; wait: until the socket listens."""
    def start(extra="", name="ctl.sock", wait=True):
        sock = os.path.join(tempfile.mkdtemp(prefix="ctl-", dir=the_lab.tmp), name)
        r = start_rootwalkd(extra="control-socket: %s\n%s" % (sock, extra), wait=wait)
        if wait:
            # Not just the file: it exists from bind(), a moment before the daemon listens.
            control.wait_socket(r, sock)
        return control.Control(r, sock)
    return start


# -- the scripted fault servers (tests/faultserver.py) under the fault. TLD -----------------------
#
# The fault. TLD (zones/fault/fault.zone) is served by a scripted server at 127.9.0.1 for the
# whole module; each test starts the servers of its scenario zones (zones/fault/generic.zone or
# another file there, plus the records it adds) with the behaviour it needs, and counts the
# queries they received.

@pytest.fixture(scope="module")
def fault_tld(the_lab):
    fs = the_lab.start_fault_server("127.9.0.1", {"fault.": "fault.zone"})
    yield fs
    fs.stop()
    assert "Traceback" not in fs.stderr(), fs.stderr()[-3000:]


@pytest.fixture
def fault_servers(the_lab, fault_tld):
    """Factory: start(addr, zones, mode=..., **scenario) starts a scripted server for this
    test. zones: one origin or a list (each loaded from generic.zone) or {origin: file}."""
    started = []
    first_resolver = len(the_lab.resolvers)

    def start(addr, zones, mode="normal", **scenario):
        if isinstance(zones, str):
            zones = [zones]
        if not isinstance(zones, dict):
            zones = {z: None for z in zones}
        scenario["mode"] = mode
        fs = the_lab.start_fault_server(addr, zones, scenario)
        started.append(fs)
        return fs

    yield start
    # The rootwalkds of this test are stopped by now (start_rootwalkd was set up later, so it
    # is torn down first): their traces are complete.
    for fs in started:
        fs.stop()
    for fs in started:
        assert "Traceback" not in fs.stderr(), "fault server %s failed:\n%s" % (
            fs.addr, fs.stderr()[-3000:])
    check_sends_received(the_lab.resolvers[first_resolver:], started)


def check_sends_received(resolvers, servers):
    """Every send event in the traces is a query the server received, and the other way round.
    (A TCP send to a server without TCP is refused by the kernel and not counted.) Only when
    the test started a rootwalkd: another resolver (Unbound) writes no traces."""
    if not any(r.kind == "rootwalkd" for r in resolvers):
        return
    sends = []
    for r in resolvers:
        if r.kind != "rootwalkd" or not r.trace_log or not os.path.exists(r.trace_log):
            continue
        with open(r.trace_log) as f:
            if not f.read(1) == "{":
                continue
        for t in traces.read_json_traces(r.trace_log).values():
            sends += [e for e in t if e["ev"] == "send"]
    for fs in servers:
        mine = [e for e in sends if e["addr"] == fs.addr and
                not (fs.scenario.get("no_tcp") and e["proto"] == "tcp")]
        got = fs.queries()
        assert len(mine) == len(got), \
            "%s: the traces show %d queries sent to it, it received %d:\nsent %s\nreceived %s" % (
                fs.addr, len(mine), len(got), [(e["proto"], e["qname"], e["qtype"]) for e in mine],
                [(q["proto"], q["qname"], q["qtype"]) for q in got])


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    """Fail the test during which a running rootwalkd wrote sanitizer output."""
    the_lab = item.funcargs.get("the_lab")
    watched = []
    if the_lab is not None:
        watched = [(r, len(r.stderr())) for r in the_lab.resolvers if r.kind == "rootwalkd"]
    outcome = yield
    if the_lab is None:
        return
    before = dict((id(r), n) for r, n in watched)
    for r in the_lab.resolvers:
        if r.kind != "rootwalkd":
            continue
        text = r.stderr()
        new = text[before.get(id(r), 0):]
        r.checked_upto = len(text)  # reported here, not again when the daemon stops
        died = r.returncode is None and r.proc.poll() is not None
        if died:
            r.returncode = r.proc.returncode  # reported here, once
        if outcome.excinfo is not None and not died:
            continue
        if procs.sanitizer_lines(new):
            raise AssertionError("rootwalkd %s wrote sanitizer output during this test:\n%s"
                                 % (r.addr, new[-6000:]))
        if died:
            raise AssertionError("rootwalkd %s died during this test (exit status %s); its "
                                 "output:\n%s" % (r.addr, r.returncode, new[-6000:]))
