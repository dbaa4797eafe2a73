"""Past one machine: Debian's dnsdist in front of two rootwalkd, as the README's recipe "Past one
machine: dnsdist in front" sets it up (issue 14).

dnsdist listens on 127.0.0.52 in the lab's namespace, with the chashed policy (consistent
hashing on the name: each name's cache lives on one backend) and health checks (localhost. A,
which rootwalkd answers itself, every second; see scripts/rwlab/dnsdist.py). Which backend
resolved a name is read from each rootwalkd's trace log: a backend that was asked a name has a
trace of that question, the other has none."""

import os
import re
import signal

import dns.exception
import dns.rcode
import dns.rdatatype
import pytest

from rwlab import REPO, dnsdist, dnsq, procs, traces, zonefiles

DNSDIST_ADDR = "127.0.0.52"
# Names with A records in the lab's ordinary zones, none of them a name server's: resolving one
# never makes a backend resolve another of the list on its own (its trace would then not tell
# which backend dnsdist chose).
NAMES = ["example.org.", "www.example.org.", "mx.example.org.", "webhost.com.",
         "www.webhost.com.", "shop.com.", "cart.shop.com.", "news.org.", "www.news.org.",
         "feeds.news.org.", "example.net.", "www.example.net.", "api.example.net.",
         "video-platform.com.", "media.video-platform.com.", "sip.video-platform.com.",
         "edge.cdnhost.net.", "www.glueplus.net."]
ASKED = 3  # times each name is asked through dnsdist


def need_dnsdist():
    """Fail (not skip: scripts/setup.sh test installs it) without dnsdist."""
    if not dnsdist.available():
        pytest.fail("dnsdist is not installed (scripts/setup.sh test installs it)")


@pytest.fixture(scope="module")
def expected():
    """{name: sorted A addresses} from the lab's zone files."""
    zones = zonefiles.load_zones()
    out = {}
    for name in NAMES:
        zone = max((z for z in zones if name.endswith(z)), key=len)
        rds = zones[zone].get_rdataset(name, dns.rdatatype.A)
        out[name] = sorted(r.address for r in rds)
    return out


@pytest.fixture
def pair(the_lab, start_rootwalkd):
    """Two rootwalkd (cold caches, JSON trace logs) and dnsdist in front of them, both backends
    up. Yields (dnsdist, {backend name: rootwalkd})."""
    need_dnsdist()
    rws = {"rw1": start_rootwalkd(), "rw2": start_rootwalkd()}
    d = the_lab.start_dnsdist(DNSDIST_ADDR, [(n, r.addr) for n, r in rws.items()])
    try:
        d.wait_states({"rw1": "up", "rw2": "up"}, timeout=10)
        yield d, rws
    finally:
        d.stop()
    # dnsdist leaves SIGTERM to its default action: it ends by the signal, not by exit(0).
    assert d.returncode == -signal.SIGTERM, "dnsdist exit status %s:\n%s" % (
        d.returncode, d.stderr()[-3000:])


def ask_through(d, name, expected, tcp=False, qname=None):
    m = dnsq.ask(d.addr, qname or name, "A", tcp=tcp)
    assert m.rcode() == dns.rcode.NOERROR, "%s: %s" % (name, dnsq.rcode_text(m))
    assert sorted(dnsq.addrs(m)) == expected[name], (name, m.answer)


def client_traces(r, name):
    """Traces of client questions for name/A in rootwalkd r's trace log."""
    return traces.traces_for(r.trace_log, name, "A")


def who_answered(rws, names, counts):
    """{name: [backend names with a trace of it]}, once every backend together holds counts[name]
    whole traces of each name (bounded wait: traces are written when a question is done)."""
    def seen():
        got = {n: {b: len([t for t in client_traces(r, n) if t[-1]["ev"] == "done"])
                   for b, r in rws.items()} for n in names}
        return got if all(sum(got[n].values()) >= counts[n] for n in names) else None
    got = procs.wait_for(seen, 10, 0.05, what="the traces of every question") or {}
    return {n: sorted(b for b, c in got[n].items() if c) for n in names}, got


def test_names_answered_and_each_name_on_one_backend(pair, expected):
    d, rws = pair
    for _ in range(ASKED):
        for name in NAMES:
            ask_through(d, name, expected)
    owners, counts = who_answered(rws, NAMES, {n: ASKED for n in NAMES})
    for name in NAMES:
        assert len(owners[name]) == 1, "%s went to %s: %s" % (name, owners[name], counts[name])
        assert counts[name][owners[name][0]] == ASKED, counts[name]
    # Both backends took a share: with a hundred points each on the ring, 18 names all on one
    # backend would mean chashed is not in effect (about 2 in 100,000 by chance).
    share = {b: [n for n in NAMES if owners[n] == [b]] for b in rws}
    assert all(share.values()), share
    # Only the first question of a name made its backend go upstream: the later ones were
    # answered from that backend's cache.
    for name in NAMES:
        t = client_traces(rws[owners[name][0]], name)
        assert int(t[0][-1]["upstream"]) > 0, traces.brief(t[0])
        assert [int(x[-1]["upstream"]) for x in t[1:]] == [0] * (ASKED - 1), \
            [traces.brief(x) for x in t[1:]]


def test_tcp_and_mixed_case_land_on_the_same_backend(pair, expected):
    """The hash is on the name whatever the transport, and without regard to case (a client
    that randomises case, 0x20, still finds the name's cache)."""
    d, rws = pair
    names = NAMES[:8]
    for name in names:
        ask_through(d, name, expected)
    owners, _ = who_answered(rws, names, {n: 1 for n in names})
    for name in names:
        ask_through(d, name, expected, tcp=True)
        mixed = "".join(c.upper() if i % 2 else c for i, c in enumerate(name))
        ask_through(d, name, expected, qname=mixed)
    after, counts = who_answered(rws, names, {n: 3 for n in names})
    assert after == owners, counts
    for name in names:
        protos = [t[0].get("proto") for t in client_traces(rws[owners[name][0]], name)]
        assert "tcp" in protos, (name, protos)


def test_dead_backend_routed_around_and_back(the_lab, pair, expected):
    """Kill one backend: once the health check marks it down, dnsdist sends its names to the
    other backend, which resolves them. Start it again (cold): once it is marked up, its names
    go back to it, and the names of the backend that stayed up never moved."""
    d, rws = pair
    for name in NAMES:
        ask_through(d, name, expected)
    owners, _ = who_answered(rws, NAMES, {n: 1 for n in NAMES})
    dead, alive = "rw1", "rw2"
    moved = [n for n in NAMES if owners[n] == [dead]]
    stayed = [n for n in NAMES if owners[n] == [alive]]
    assert moved and stayed, owners
    addr = rws[dead].addr
    rws[dead].stop(signal.SIGKILL)
    d.wait_states({dead: "down", alive: "up"}, timeout=10)
    for name in NAMES:
        ask_through(d, name, expected)
    _, counts = who_answered({alive: rws[alive]}, moved, {n: 1 for n in moved})
    for name in moved:
        assert counts[name][alive] == 1, (name, counts[name])
    for name in stayed:
        assert len(client_traces(rws[alive], name)) == 2, name

    back = the_lab.start_rootwalkd(addr=addr, name="rootwalkd-back")
    try:
        d.wait_states({dead: "up", alive: "up"}, timeout=10)
        for name in NAMES:
            ask_through(d, name, expected)
        owners2, counts2 = who_answered({dead: back, alive: rws[alive]}, NAMES,
                                        {n: 3 if n in stayed else 2 for n in NAMES})
        for name in moved:
            assert counts2[name] == {dead: 1, alive: 1}, (name, counts2[name])
        for name in stayed:
            assert owners2[name] == [alive], (name, counts2[name])
    finally:
        rc = back.stop()
        out = back.stderr()
        assert not procs.sanitizer_lines(out), out[-6000:]
        assert rc == 0, out[-3000:]


def test_all_backends_refusing_is_all_down(the_lab, start_rootwalkd):
    """The health check needs a real answer (mustResolve): a backend whose access-control
    refuses dnsdist's address answers REFUSED, and dnsdist marks it down instead of sending it
    clients to refuse."""
    need_dnsdist()
    r = start_rootwalkd(extra="access-control: 127.0.0.0/8 refuse\n")
    d = the_lab.start_dnsdist(DNSDIST_ADDR, [("rw1", r.addr)])
    try:
        d.wait_states({"rw1": "down"}, timeout=10)
        with pytest.raises(dns.exception.Timeout):
            dnsq.ask(d.addr, "example.org.", "A", timeout=1.0)
        assert client_traces(r, "example.org.") == []
    finally:
        d.stop()


def test_recipe_example_config_is_valid():
    """dist/dnsdist.conf.example, the README recipe's configuration, passes dnsdist
    --check-config and keeps the lab's choices: chashed, health checks on localhost. A that
    must resolve, no security polling."""
    need_dnsdist()
    path = os.path.join(REPO, "dist", "dnsdist.conf.example")
    dnsdist.check(path)
    with open(path) as f:
        lua = "\n".join(l for l in f.read().splitlines() if not l.lstrip().startswith("--"))
    assert "setServerPolicy(chashed)" in lua
    assert 'setSecurityPollSuffix("")' in lua
    servers = re.findall(r"newServer\(\{(.*?)\}\)", lua, re.S)
    assert len(servers) == 2, servers
    for s in servers:
        for want in ('checkName="localhost."', 'checkType="A"', "mustResolve=true",
                     "checkInterval=", "maxCheckFailures=", "weight=100"):
            assert want in s, (want, s)
