"""Worker threads (num-threads, issue 14): every worker answers over UDP and TCP on the same
addresses (SO_REUSEPORT), all of them share one cache and one server cookie secret, stats sum
the workers and `stats --per-thread` shows each, reloads reach every worker, SIGTERM stops them
all. Every traffic loop is bounded in count and time."""

import concurrent.futures
import json
import re
import socket
import threading
import time

import dns.edns
import dns.message
import dns.query
import dns.rcode
import pytest

from rwlab import dnsq, faults

from conftest import stops_cleanly

VP = "video-platform.com."
CC = bytes.fromhex("0123456789abcdef")
# Keys of `stats` that are not a thread's counters: the shared cache's, the control socket's.
NOT_PER_THREAD = {"cache.entries", "cache.bytes", "cache.evictions", "control.pending"}


def per_thread(c):
    """{thread name: {key: value}} from `rootwalk stats --per-thread --json`."""
    flat = json.loads(c.ok("stats", "--per-thread", "--json"))
    out = {}
    for k, v in flat.items():
        m = re.match(r"thread\.([^.]+)\.(.+)$", k)
        assert m, k
        out.setdefault(m.group(1), {})[m.group(2)] = v
    return out


def workers_of(threads):
    """The listening workers' counters (not the main loop's control resolver)."""
    return {k: v for k, v in threads.items() if k != "main"}


def ask_many(addr, qname, n, tcp=False, **kw):
    """n queries, each from a new socket (a new source port), 16 at a time; returns the
    replies."""
    def one(_):
        return dnsq.ask(addr, qname, tcp=tcp, timeout=3, **kw)
    with concurrent.futures.ThreadPoolExecutor(16) as ex:
        return list(ex.map(one, range(n)))


def wait_quiet(c, limit=5.0):
    """Until the counters stop moving (priming of every worker done), at most limit seconds;
    returns the last stats."""
    deadline = time.monotonic() + limit
    last = c.stats()
    while time.monotonic() < deadline:
        time.sleep(0.2)
        now = c.stats()
        if now["upstream.queries"] == last["upstream.queries"] and \
                now["requests.in_progress"] == 0:
            return now
        last = now
    return last


@pytest.mark.parametrize("n", [2, 4])
def test_every_worker_answers_udp_and_tcp(start_ctl, n):
    """Clients from many source ports reach every worker over UDP and TCP (the kernel spreads
    them), and each answer is right; `status` says how many threads run."""
    c = start_ctl(extra="num-threads: %d\n" % n)
    assert "threads: %d\n" % n in c.ok("status")
    dnsq.ask(c.r.addr, VP)  # walked once, then cached
    for m in ask_many(c.r.addr, VP, 24 * n) + ask_many(c.r.addr, VP, 12 * n, tcp=True):
        assert dnsq.records(m) == [(VP, "A", "203.0.113.42")], dnsq.show(m)
    threads = per_thread(c)
    assert sorted(threads) == sorted([str(i) for i in range(n)] + ["main"]), threads.keys()
    for name, st in workers_of(threads).items():
        assert st["client.queries.udp"] > 0 and st["client.queries.tcp"] > 0, (name, st)
    # the main loop's resolver has no listeners
    assert threads["main"]["client.queries.udp"] == 0 == threads["main"]["client.queries.tcp"]


def test_one_cache_for_all_workers(start_ctl):
    """A name walked by one worker is a cache hit at every other: no upstream query more, every
    worker counts hits."""
    c = start_ctl(extra="num-threads: 2\n")
    before = wait_quiet(c)
    m = dnsq.ask(c.r.addr, VP)
    assert dnsq.records(m) == [(VP, "A", "203.0.113.42")]
    walked = c.stats()
    assert walked["upstream.queries"] > before["upstream.queries"]
    for m in ask_many(c.r.addr, VP, 64):
        assert dnsq.records(m) == [(VP, "A", "203.0.113.42")], dnsq.show(m)
    after = c.stats()
    assert after["upstream.queries"] == walked["upstream.queries"], (walked, after)
    assert after["cache.hits"] - walked["cache.hits"] == 64, after
    for name, st in workers_of(per_thread(c)).items():
        assert st["cache.hits"] > 0, (name, st)


def cookie_ask(addr, cookie, tcp=False):
    q = dnsq.make_query(VP)
    q.use_edns(0, 0, 1232, options=[dns.edns.GenericOption(10, cookie)])
    if tcp:
        return dns.query.tcp(q, addr, timeout=3)
    return dns.query.udp(q, addr, timeout=3)


def server_cookie(m):
    opts = [o for o in m.options if o.otype == 10]
    assert len(opts) == 1, dnsq.show(m)
    return opts[0].data


def test_server_cookie_valid_at_every_worker(start_ctl):
    """The server cookie one worker made is valid at the others: one secret for all."""
    c = start_ctl(extra="num-threads: 2\n")
    full = server_cookie(cookie_ask(c.r.addr, CC))
    assert len(full) == 24 and full[:8] == CC

    def one(_):
        return cookie_ask(c.r.addr, full)
    with concurrent.futures.ThreadPoolExecutor(16) as ex:
        replies = list(ex.map(one, range(48)))
    for m in replies:
        assert m.rcode() == dns.rcode.NOERROR and server_cookie(m)[:8] == CC, dnsq.show(m)
    st = c.stats()
    assert st["client.cookies.valid"] == 48 and st["client.cookies.invalid"] == 0, st
    for name, w in workers_of(per_thread(c)).items():
        assert w["client.cookies.valid"] > 0, (name, w)


def test_stats_sum_the_threads(start_ctl):
    """Plain `stats` is the sum of `stats --per-thread` over every thread, key by key."""
    c = start_ctl(extra="num-threads: 2\n")
    ask_many(c.r.addr, VP, 40)
    ask_many(c.r.addr, "www." + VP, 20, tcp=True)
    ask_many(c.r.addr, "nxdomain." + VP, 10)
    total = wait_quiet(c)
    threads = per_thread(c)
    assert total == c.stats()  # quiet: nothing moves between the two
    for key, value in total.items():
        if key in NOT_PER_THREAD:
            assert all(key not in t for t in threads.values()), key
            continue
        assert sum(t[key] for t in threads.values()) == value, key
    assert total["client.queries.udp"] == 50 and total["client.queries.tcp"] == 20, total
    # the text form: the same keys and values, one "thread.N.KEY: VALUE" line each
    text = c.ok("stats", "--per-thread")
    for name, t in threads.items():
        for key, value in t.items():
            assert "thread.%s.%s: %d\n" % (name, key, value) in text, (name, key)


def test_ratelimit_counts_a_client_across_workers(start_ctl):
    """ip-ratelimit is one table for every worker: a client over the limit is limited however
    the kernel spreads its ports."""
    c = start_ctl(extra="num-threads: 2\nip-ratelimit: 20\nip-ratelimit-slip: 0\n")
    dnsq.ask(c.r.addr, VP)
    time.sleep(1.1)  # a fresh second for the count

    def one(_):
        try:
            return dnsq.ask(c.r.addr, VP, timeout=0.5)
        except dns.exception.Timeout:
            return None
    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(16) as ex:
        replies = list(ex.map(one, range(80)))
    answered = sum(1 for m in replies if m is not None)
    st = c.stats()
    # within one or two seconds: at most 20 a second get through, from both workers together
    seconds = int(time.monotonic() - t0) + 1
    assert answered <= 20 * (seconds + 1) and st["client.ratelimit.dropped"] >= 80 - answered, \
        (answered, seconds, st)
    assert sum(1 for w in workers_of(per_thread(c)).values()
               if w["client.ratelimit.dropped"] > 0) == 2


def test_reload_under_load(start_ctl):
    """Reloads while clients keep asking: every reload succeeds, every worker keeps answering,
    status counts them, and a changed setting (cache-max-ttl) reaches every worker."""
    c = start_ctl(extra="num-threads: 2\n")
    dnsq.ask(c.r.addr, VP)
    stop = threading.Event()
    results = {"ok": 0, "bad": []}

    def load():
        deadline = time.monotonic() + 20
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                m = dnsq.ask(c.r.addr, VP, timeout=2)
                if dnsq.records(m) == [(VP, "A", "203.0.113.42")]:
                    results["ok"] += 1
                else:
                    results["bad"].append(dnsq.show(m))
            except Exception as e:  # noqa: BLE001 - any failure is reported below
                results["bad"].append(repr(e))
    threads = [threading.Thread(target=load) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        with open(c.r.conf) as f:
            conf = f.read()
        for i in range(5):
            with open(c.r.conf, "w") as f:
                f.write(conf + "cache-max-ttl: %d\n" % (100 + i))
            out = c.ok("reload")
            assert out.startswith("reloaded"), out
            time.sleep(0.1)
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    assert not results["bad"] and results["ok"] > 20, results
    status = c.ok("status")
    assert re.search(r"^reloads: 5 \(last ", status, re.M), status
    assert "threads: 2\n" in status
    # the new cache-max-ttl (104) caps what every worker stores from now on
    c.ok("flush-all")
    ask_many(c.r.addr, VP, 1)
    for m in ask_many(c.r.addr, VP, 32):
        assert dnsq.answer_ttl(m, VP) <= 104, dnsq.show(m)
    # a changed num-threads is for the next start, and the reply says so
    with open(c.r.conf, "w") as f:
        f.write(conf.replace("num-threads: 2", "num-threads: 3"))
    out = c.ok("reload")
    assert "note: num-threads changed: it takes effect at the next start" in out, out
    assert "threads: 2\n" in c.ok("status")


@pytest.mark.parametrize("n", [2, 4])
def test_sigterm_stops_every_worker(start_rootwalkd, n):
    """SIGTERM during load: exit status 0, quickly, no sanitizer report (no leak)."""
    r = start_rootwalkd(extra="num-threads: %d\n" % n)
    ask_many(r.addr, VP, 32)
    ask_many(r.addr, VP, 16, tcp=True)
    # connections left open and queries under way when the signal comes
    socks = []
    for _ in range(4):
        s = socket.create_connection((r.addr, 53), timeout=2)
        socks.append(s)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    socks.append(u)
    for i in range(20):  # uncached names: resolutions under way
        u.sendto(dnsq.make_query("n%d.wild.fault." % i).to_wire(), (r.addr, 53))
    t0 = time.monotonic()
    try:
        stops_cleanly(r)
        assert time.monotonic() - t0 < 3.0
    finally:
        for s in socks:
            s.close()
    assert "%d threads" % n in r.stderr()


@pytest.mark.parametrize("n", [1, 2, 4])
def test_identical_questions_joined_per_worker(fault_servers, start_ctl, n):
    """200 clients ask one uncached name of a slow server at once: each worker sends it once
    (it joins its own identical questions; workers do not join each other's), so the server
    gets at most num-threads queries for it."""
    slow = fault_servers("127.9.4.1", "slow.fault.", delay_ms=300)
    c = start_ctl(extra="num-threads: %d\n" % n)
    wait_quiet(c)
    name = "x1.wild.slow.fault."
    dnsq.ask(c.r.addr, "www.slow.fault.")  # the zone's servers known, the name not
    base = len([q for q in slow.queries() if q["qname"].lower() == name])
    assert base == 0
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    socks = []
    try:
        for i in range(200):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            socks.append(s)
            s.sendto(dnsq.make_query(name, id_=i).to_wire(), (c.r.addr, 53))
        got = 0
        deadline = time.monotonic() + 5
        for s in socks:
            s.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                m = dns.message.from_wire(s.recv(4096))
                got += m.rcode() == dns.rcode.NOERROR
            except socket.timeout:
                pass
    finally:
        sock.close()
        for s in socks:
            s.close()
    sent = len([q for q in slow.queries() if q["qname"].lower() == name])
    print("num-threads %d: %d upstream queries for %d clients, %d answered" % (n, sent, 200,
                                                                             got))
    assert got == 200
    assert 1 <= sent <= n, sent
    assert c.stats()["client.joined"] >= 200 - n


def test_metrics_have_a_worker_label(start_ctl):
    """The Prometheus text keeps its families summed and adds each worker's part with a worker
    label; promtool accepts it."""
    from test_metrics import promtool_check
    c = start_ctl(extra="num-threads: 2\n")
    ask_many(c.r.addr, VP, 40)
    ask_many(c.r.addr, VP, 10, tcp=True)
    text = c.ok("stats", "--prometheus")
    promtool_check(text)
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            k, v = line.rsplit(" ", 1)
            samples[k] = float(v)
    for proto, n in (("udp", 40), ("tcp", 10)):
        assert samples['rootwalk_client_queries_total{protocol="%s"}' % proto] == n
        parts = [samples['rootwalk_worker_client_queries_total{worker="%s",protocol="%s"}' % (
            w, proto)] for w in ("0", "1", "main")]
        assert sum(parts) == n and parts[0] > 0 and parts[1] > 0 and parts[2] == 0, parts
    answers = [samples['rootwalk_worker_client_answers_total{worker="%s"}' % w]
               for w in ("0", "1", "main")]
    assert sum(answers) == 50, answers


@pytest.mark.parametrize("second", [1, 2])
def test_second_daemon_on_the_same_address_is_refused(the_lab, start_rootwalkd, second):
    """The workers bind with SO_REUSEPORT, which alone would let a second rootwalkd of the same
    user join their sockets and take part of the clients in silence: it gets "address in use"
    instead, whatever its num-threads, and the first keeps every client."""
    r = start_rootwalkd(extra="num-threads: 2\n")
    r2 = the_lab.start_rootwalkd(addr=r.addr, extra="num-threads: %d\n" % second,
                                 name="second", wait=False)
    try:
        deadline = time.monotonic() + 10
        while r2.proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert r2.proc.poll() == 1, r2.stderr()[-2000:]
        assert re.search(r"cannot listen on %s@53 \((udp|tcp)\): address already in use" %
                         re.escape(r.addr), r2.stderr()), r2.stderr()[-2000:]
    finally:
        r2.stop()
    for m in ask_many(r.addr, VP, 32):
        assert dnsq.records(m) == [(VP, "A", "203.0.113.42")], dnsq.show(m)


def test_requests_in_progress_counted_at_every_worker(fault_tld, start_ctl):
    """Questions under way at both workers (allsilent.fault's servers never answer): `status`
    and `stats` count them all, and each worker's share adds up."""
    with faults.SilentServers(("127.9.2.1", "127.9.2.2")):
        in_progress_at_every_worker(start_ctl)


def in_progress_at_every_worker(start_ctl):
    c = start_ctl(extra="num-threads: 2\nquery-budget: 4000\n")
    wait_quiet(c)
    socks = []
    try:
        for i in range(24):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            socks.append(s)
            s.sendto(dnsq.make_query("q%d.allsilent.fault." % i).to_wire(), (c.r.addr, 53))
        deadline = time.monotonic() + 3
        while c.stats()["requests.in_progress"] < 24 and time.monotonic() < deadline:
            time.sleep(0.05)
        status = c.ok("status")
        threads = workers_of(per_thread(c))
    finally:
        for s in socks:
            s.close()
    assert "requests-in-progress: 24\n" in status, status
    assert sum(t["requests.in_progress"] for t in threads.values()) == 24, threads
    assert all(t["requests.in_progress"] > 0 for t in threads.values()), threads
