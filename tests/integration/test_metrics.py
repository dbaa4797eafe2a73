"""Metrics (issue 14): metrics-listen serves /metrics in the Prometheus text format, which
promtool accepts and a real Prometheus server scrapes; `rootwalk stats --prometheus` prints the
same text; any other HTTP request is refused cleanly; access-control applies.

Clients from non-loopback addresses come from documentation addresses added to lo inside the
lab's private network namespace (198.51.100.9; 192.0.2.53 for the daemon itself)."""

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request

import pytest

from rwlab import dnsq

PORT = 9153
CLIENT = "198.51.100.9"
LAN = "192.0.2.53"
PROM_ADDR = "127.0.0.58:9090"  # below the daemons' 127.0.0.60.. (conftest)
NAMES = ["www.video-platform.com.", "video-platform.com.", "mail.video-platform.com."]


@pytest.fixture(scope="module", autouse=True)
def doc_addresses():
    """Documentation addresses on lo, inside the lab's namespace only (in_lab.sh)."""
    for a in (CLIENT, LAN):
        subprocess.run(["ip", "addr", "replace", a + "/32", "dev", "lo"], check=True,
                       timeout=10)
    yield


def http(addr, request, source=None, port=PORT, timeout=5.0):
    """Send raw request bytes; return everything received until the daemon closes."""
    s = socket.create_connection((addr, port), timeout=timeout,
                                 source_address=(source, 0) if source else None)
    try:
        s.sendall(request)
        data = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            chunk = s.recv(65536)
            if not chunk:
                return data
            data += chunk
        raise AssertionError("the connection stayed open: %r" % data[:300])
    finally:
        s.close()


def parse(resp):
    head, _, body = resp.partition(b"\r\n\r\n")
    lines = head.decode("ascii").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:])}
    assert int(headers["content-length"]) == len(body), resp[:300]
    return status, headers, body.decode()


def get_metrics(addr, source=None):
    status, headers, body = parse(http(addr, b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
                                       source=source))
    assert status == 200, body
    assert headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert headers["connection"] == "close"
    return body


def sample(text, series):
    for line in text.splitlines():
        if line.startswith(series + " "):
            return float(line.split()[-1])
    raise AssertionError("no %s in:\n%s" % (series, text[:2000]))


def promtool_check(text):
    promtool = shutil.which("promtool")
    assert promtool, "promtool (Debian's prometheus package) is missing: scripts/setup.sh test"
    p = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True,
                       text=True, timeout=30)
    assert p.returncode == 0 and not p.stdout.strip() and not p.stderr.strip(), (
        p.stdout + p.stderr)


UDP = 'rootwalk_client_queries_total{protocol="udp"}'
MADDR = "127.0.0.57"  # the metrics address of each test's daemon (one daemon at a time)


def metrics_ctl(start_ctl, addr=MADDR, extra=""):
    c = start_ctl(extra="metrics-listen: %s@%d\n%s" % (addr, PORT, extra))
    return c


def test_metrics_endpoint_promtool_and_cli(start_ctl):
    """GET /metrics answers the Prometheus text, which promtool accepts without a lint warning;
    the counters follow the queries sent; `rootwalk stats --prometheus` prints the same text."""
    c = metrics_ctl(start_ctl)
    before = get_metrics(MADDR)
    promtool_check(before)
    assert sample(before, UDP) == 0
    for name in NAMES * 2:
        assert dnsq.ask(c.r.addr, name).rcode() == 0
    assert dnsq.ask(c.r.addr, NAMES[0], "AAAA", tcp=True).rcode() == 0
    after = get_metrics(MADDR)
    promtool_check(after)
    assert sample(after, UDP) == 6
    assert sample(after, 'rootwalk_client_queries_total{protocol="tcp"}') == 1
    assert sample(after, 'rootwalk_client_queries_by_type_total{type="A"}') == 6
    assert sample(after, 'rootwalk_client_queries_by_type_total{type="AAAA"}') == 1
    assert sample(after, 'rootwalk_client_outcomes_total{outcome="cache_hit"}') >= 3
    assert sample(after, 'rootwalk_client_answers_total{rcode="NOERROR"}') == 7
    assert sample(after, "rootwalk_answer_latency_seconds_count") == 7
    assert sample(after, 'rootwalk_answer_latency_seconds_bucket{le="+Inf"}') == 7
    assert sample(after, "rootwalk_upstream_queries_total") > 0
    assert sample(after, "rootwalk_cache_entries") > 0
    # the same counters through the control socket, as stats --json has them
    cli = c.ok("stats", "--prometheus")
    promtool_check(cli)
    st = c.stats()
    for series, key in ((UDP, "client.queries.udp"),
                        ('rootwalk_client_queries_total{protocol="tcp"}', "client.queries.tcp"),
                        ('rootwalk_client_outcomes_total{outcome="cache_hit"}', "cache.hits"),
                        ("rootwalk_upstream_queries_total", "upstream.queries"),
                        ("rootwalk_cache_entries", "cache.entries")):
        assert sample(cli, series) == st[key] == sample(after, series), series
    assert [l.split(" ")[0] for l in cli.splitlines()] == \
        [l.split(" ")[0] for l in after.splitlines()]
    p = c.run("stats", "--json", "--prometheus")
    assert p.returncode != 0 and "exclude" in p.stderr, p.stderr


@pytest.mark.parametrize("request_bytes,status", [
    (b"POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 405),
    (b"HEAD /metrics HTTP/1.1\r\n\r\n", 405),
    (b"GET / HTTP/1.1\r\n\r\n", 404),
    (b"GET /metrics/x HTTP/1.1\r\n\r\n", 404),
    (b"GET /metrics HTTP/2.0\r\n\r\n", 400),
    (b"HELLO\r\n\r\n", 400),
    (b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03", 400),  # a TLS ClientHello
    (b"GET /metrics HTTP/1.1\r\nX: " + b"a" * 5000, 431),
])
def test_other_requests_refused(start_ctl, request_bytes, status):
    """Anything but GET /metrics gets its status (405 with Allow: GET), a short text body and
    Connection: close, and the daemon closes the connection; the endpoint keeps working."""
    metrics_ctl(start_ctl)
    got, headers, body = parse(http(MADDR, request_bytes))
    assert got == status, body
    assert headers["connection"] == "close"
    assert body.startswith(str(status))
    if status == 405:
        assert headers["allow"] == "GET"
    assert sample(get_metrics(MADDR), UDP) == 0


def test_slow_request_is_cut(start_ctl):
    """A request that never ends is closed after its time (5 s), with no answer."""
    metrics_ctl(start_ctl)
    s = socket.create_connection((MADDR, PORT), timeout=10)
    try:
        s.sendall(b"GET /metrics HTTP/1.1\r\n")
        t0 = time.monotonic()
        assert s.recv(100) == b""
        assert 3 < time.monotonic() - t0 < 9
    finally:
        s.close()


def test_access_control_applies(start_ctl):
    """The DNS access-control lines apply to the metrics endpoint: off loopback the default
    refuses (403), an allow line lets a netblock in, deny closes without a word."""
    metrics_ctl(start_ctl, addr=LAN)
    for req in (b"GET /metrics HTTP/1.1\r\n\r\n", b"POST /x HTTP/1.1\r\n\r\n"):
        got, headers, body = parse(http(LAN, req, source=CLIENT))
        assert got == 403 and headers["connection"] == "close", body
    assert sample(get_metrics(LAN, source="127.0.0.1"), UDP) == 0


def test_access_control_allow_and_deny(start_ctl):
    """allow lets a netblock in; deny (here loopback's own) closes without an answer."""
    metrics_ctl(start_ctl, addr=LAN, extra="access-control: 198.51.100.0/24 allow\n"
                                           "access-control: 127.0.0.0/8 deny\n")
    assert "rootwalk_client_queries_total" in get_metrics(LAN, source=CLIENT)
    try:
        got = http(LAN, b"GET /metrics HTTP/1.1\r\n\r\n", source="127.0.0.1")
    except ConnectionResetError:
        got = b""  # closed with the request unread
    assert got == b""


def prom_query(expr):
    url = "http://%s/api/v1/query?%s" % (PROM_ADDR, urllib.parse.urlencode({"query": expr}))
    with urllib.request.urlopen(url, timeout=5) as resp:
        doc = json.load(resp)
    assert doc["status"] == "success", doc
    return doc["data"]["result"]


def test_prometheus_scrapes(start_ctl, the_lab):
    """A real Prometheus server, in the lab namespace, scrapes /metrics every second; a query
    through its HTTP API shows the client query counter grow after queries were sent."""
    prometheus = shutil.which("prometheus")
    assert prometheus, "prometheus (Debian's package) is missing: scripts/setup.sh test"
    c = metrics_ctl(start_ctl)
    d = tempfile.mkdtemp(prefix="prometheus-", dir=the_lab.tmp)
    conf = os.path.join(d, "prometheus.yml")
    with open(conf, "w") as f:
        f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                "scrape_configs:\n  - job_name: rootwalkd\n"
                "    static_configs:\n      - targets: ['%s:%d']\n" % (MADDR, PORT))
    log = open(os.path.join(d, "prometheus.log"), "w")
    proc = subprocess.Popen([prometheus, "--config.file", conf,
                             "--storage.tsdb.path", os.path.join(d, "data"),
                             "--web.listen-address", PROM_ADDR],
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        series = 'rootwalk_client_queries_total{job="rootwalkd",protocol="udp"}'
        first = wait_for(lambda: value_of(series), 30, proc, d)
        assert first == 0
        for i in range(20):
            assert dnsq.ask(c.r.addr, NAMES[i % 3]).rcode() == 0
        grown = wait_for(lambda: value_of(series) if value_of(series) == 20 else None, 30,
                         proc, d)
        assert grown == 20
        assert value_of('up{job="rootwalkd"}') == 1
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        log.close()


def value_of(expr):
    try:
        result = prom_query(expr)
    except OSError:
        return None  # not listening yet
    return float(result[0]["value"][1]) if result else None


def wait_for(fn, seconds, proc, d):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, open(os.path.join(d, "prometheus.log")).read()[-3000:]
        v = fn()
        if v is not None:
            return v
        time.sleep(0.5)
    raise AssertionError("prometheus: nothing after %d s\n%s" % (
        seconds, open(os.path.join(d, "prometheus.log")).read()[-3000:]))
