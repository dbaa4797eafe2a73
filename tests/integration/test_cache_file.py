"""The cache across restarts (issue 14): `rootwalk dump-cache > FILE`, a new daemon, `rootwalk
load-cache < FILE`, and the warm names are answered without a query upstream, with TTLs that go
on counting down from the first daemon's absolute expiry and DNSSEC answers still secure (AD).
Expired entries are skipped and counted, malformed lines are named by number, a load is bounded
by cache-size, and the control socket bounds a load's lines.

Every daemon is started by the test (a fresh cold cache each), inside the lab's namespace; every
wait is bounded.
"""

import os
import re
import socket
import subprocess
import threading
import time

import dns.flags
import dns.rcode

from rwlab import control, dnsq
from rwlab.traces import parse_iso

VP = "video-platform.com."
# What a warm cache answers: (name, type, rcode).
WARM = [("www." + VP, "A", dns.rcode.NOERROR),
        (VP, "MX", dns.rcode.NOERROR),
        (VP, "AAAA", dns.rcode.NOERROR),
        ("txt-only." + VP, "A", dns.rcode.NOERROR),      # NODATA
        ("nope." + VP, "A", dns.rcode.NXDOMAIN),
        ("www.secure-nsec.com.", "A", dns.rcode.NOERROR)]  # signed: AD


def load(c, path, *args):
    """`rootwalk -s SOCK load-cache < path`: the finished process."""
    with open(path) as f:
        return subprocess.run([control.cli_path(), "-s", c.sock, "load-cache", *args], stdin=f,
                              capture_output=True, text=True, timeout=60)


def counts(out):
    """The "key: value" lines of a load's answer as a dict of ints."""
    return {k: int(v) for k, v in re.findall(r"^([a-z-]+): (\d+)$", out, re.M)}


def dump_to(c, path):
    out = c.ok("dump-cache")
    with open(path, "w") as f:
        f.write(out)
    return out.splitlines()


def expiry_of(lines, owner, rtype, kind="rrset"):
    """The absolute expiry (epoch seconds) of a dump line."""
    line = [x for x in lines if x.startswith("%s %s %s " % (owner, rtype, kind))]
    assert len(line) == 1, (owner, rtype, line)
    return parse_iso(re.search(r" expires=(\S+) ", line[0]).group(1))


def ask_all(addr):
    out = {}
    for name, rtype, rcode in WARM:
        m = dnsq.ask(addr, name, rtype, want_dnssec=True)
        assert m.rcode() == rcode, (name, rtype, dnsq.show(m))
        out[(name, rtype)] = m
    return out


def test_restart_with_a_dump_answers_warm_names_without_asking(start_ctl, the_lab):
    """Resolve, dump, stop; a new daemon loads the dump and answers every warm name with no
    upstream query, the same records, TTLs counted from the first daemon's expiry, AD kept."""
    c1 = start_ctl()
    first = ask_all(c1.r.addr)
    assert first[("www.secure-nsec.com.", "A")].flags & dns.flags.AD
    path = os.path.join(the_lab.tmp, "cache-%d.txt" % os.getpid())
    lines = dump_to(c1, path)
    n = int(re.match(r";; (\d+) entries$", lines[-1]).group(1))
    www_expires = expiry_of(lines, VP, "A")
    c1.r.stop()
    time.sleep(1.1)  # TTLs visibly lower

    c2 = start_ctl()
    s0 = c2.stats()
    p = load(c2, path)
    assert p.returncode == 0, p.stderr
    got = counts(p.stdout)
    # Every entry is loaded, but what the new daemon cached already (its root priming, if it
    # was done) is fresher than the file, and kept.
    assert got["malformed"] == 0 and got["lines"] == n + 1, p.stdout
    assert got["loaded"] + got["already-cached"] + got["expired"] == n, p.stdout
    assert got["already-cached"] <= 3 and got["expired"] == 0, p.stdout
    assert c2.stats()["cache.entries"] >= n
    again = ask_all(c2.r.addr)
    s1 = c2.stats()
    assert s1["upstream.queries"] == s0["upstream.queries"], \
        "%d queries sent" % (s1["upstream.queries"] - s0["upstream.queries"])
    for key, m in again.items():
        before = first[key]
        # same records; each TTL at most the first answer's minus the second that went by
        assert [(r.name, r.rdtype, sorted(map(str, r))) for r in m.answer] == \
               [(r.name, r.rdtype, sorted(map(str, r))) for r in before.answer], key
        for a, b in zip(m.answer, before.answer):
            assert a.ttl <= b.ttl - 1, (key, a.ttl, b.ttl)
    assert again[("www.secure-nsec.com.", "A")].flags & dns.flags.AD, "not secure once loaded"
    # The apex A (the CNAME's target): its TTL is what its absolute expiry leaves.
    ttl = dnsq.answer_ttl(again[("www." + VP, "A")], VP, "A")
    assert abs(ttl - (www_expires - time.time())) <= 1.5, (ttl, www_expires - time.time())
    # Its provenance came along: the server, address and zone of the first daemon's fetch.
    look = c2.ok("lookup", VP)
    assert re.search(r"from:     ns[12]\.dnshost\.net\. \(127\.3\.0\.[12]\), "
                     r"zone video-platform\.com\.", look), look
    print("%d entries loaded; %d names answered with 0 upstream queries" % (n, len(WARM)))


def test_expired_entries_are_skipped_and_counted(start_ctl, the_lab):
    """An entry whose expiry passed before the load is skipped and counted; its name is then
    resolved again (upstream)."""
    c1 = start_ctl()
    ask_all(c1.r.addr)
    lines = dump_to(c1, os.path.join(the_lab.tmp, "unused-%d.txt" % os.getpid()))
    c1.r.stop()
    # The apex A expired a minute ago (as if the file had waited longer than its TTL).
    past = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(time.time() - 60))
    older = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(time.time() - 360))
    edited = []
    for x in lines:
        if x.startswith(VP + " A rrset "):
            x = re.sub(r" expires=\S+ ", " expires=%s " % past, x)
            x = re.sub(r" stored=\S+ ", " stored=%s " % older, x)
        edited.append(x)
    path = os.path.join(the_lab.tmp, "expired-%d.txt" % os.getpid())
    with open(path, "w") as f:
        f.write("\n".join(edited) + "\n")
    c2 = start_ctl()
    p = load(c2, path)
    assert p.returncode == 0, p.stderr
    got = counts(p.stdout)
    assert got["expired"] == 1 and got["malformed"] == 0, p.stdout
    look = c2.ok("lookup", VP)
    assert "video-platform.com. AAAA: rrset" in look, look
    assert "video-platform.com. A: rrset" not in look, "the expired entry was loaded"
    s0 = c2.stats()
    m = dnsq.ask(c2.r.addr, VP, "A")
    assert m.rcode() == dns.rcode.NOERROR and dnsq.addrs(m) == ["203.0.113.42"]
    assert c2.stats()["upstream.queries"] > s0["upstream.queries"]


def test_malformed_lines_are_named_and_skipped(start_ctl, the_lab):
    """Malformed lines are skipped and named by line number; the others load; a JSON dump is
    refused line by line (it is not the cache file format)."""
    c1 = start_ctl()
    dnsq.ask(c1.r.addr, "www." + VP, "A")
    lines = dump_to(c1, os.path.join(the_lab.tmp, "unused2-%d.txt" % os.getpid()))[:-1]
    js = c1.ok("dump-cache", "--json").splitlines()
    c1.r.stop()
    apex = [x for x in lines if x.startswith(VP + " A rrset ")]
    rest = [x for x in lines if x not in apex]
    assert len(apex) == 1 and len(rest) >= 2, lines
    bad = rest[:2] + ["this is not a cache line",
                         apex[0].replace(" data: ", " data: 999.0.0.1 | ")] + rest[2:]
    path = os.path.join(the_lab.tmp, "bad-%d.txt" % os.getpid())
    with open(path, "w") as f:
        f.write("\n".join(bad + js[:1]) + "\n")
    c2 = start_ctl()
    p = load(c2, path)
    assert p.returncode == 0, p.stderr
    got = counts(p.stdout)
    assert got["malformed"] == 3, p.stdout
    assert got["loaded"] + got["already-cached"] == len(lines) - 1, p.stdout
    assert re.search(r"^line 3: unknown kind 'not'$", p.stdout, re.M), p.stdout
    assert re.search(r"^line 4: data: '999\.0\.0\.1' is not a record ldns can read$", p.stdout,
                     re.M), p.stdout
    assert re.search(r"^line %d: " % (len(bad) + 1), p.stdout, re.M), p.stdout  # the JSON line
    assert "video-platform.com. A: rrset" not in c2.ok("lookup", VP), "a malformed line loaded"
    assert c2.run("load-cache", "extra-word").returncode == 2


def test_a_big_load_stays_within_cache_size(start_ctl, the_lab):
    """60,000 entries into a 1 MiB cache: the cache stays within it (evicting as any store
    does), the daemon answers during and after the load, and says how many were evicted."""
    c = start_ctl(extra="cache-size: 1m\n")
    path = os.path.join(the_lab.tmp, "big-%d.txt" % os.getpid())
    now = time.time()
    stored = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(now - 10))
    expires = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(now + 3000))
    with open(path, "w") as f:
        for i in range(60000):
            f.write("h%d.big.example. A rrset ttl=3000 orig_ttl=3010 stored=%s expires=%s "
                    "server=ns1.big.example. addr=192.0.2.1 zone=big.example. "
                    "rank=authoritative-answer vstate=insecure data: 192.0.2.%d\n"
                    % (i, stored, expires, i % 250 + 1))
    assert dnsq.ask(c.r.addr, VP, "A").rcode() == dns.rcode.NOERROR  # cached: the probe's name
    stop, waits = threading.Event(), []
    probe = threading.Thread(target=dnsq.probe_cached, args=(c.r.addr, stop, waits, 60))
    probe.start()
    t0 = time.monotonic()
    try:
        p = load(c, path)
    finally:
        dt = time.monotonic() - t0
        stop.set()
        probe.join(10)
    assert p.returncode == 0, p.stderr
    got = counts(p.stdout)
    assert got["loaded"] == 60000 and got["evicted"] > 40000, p.stdout
    st = c.stats()
    assert st["cache.bytes"] <= 1024 * 1024, st["cache.bytes"]
    assert dnsq.ask(c.r.addr, VP, "A").rcode() == dns.rcode.NOERROR
    # the last ones loaded are the ones kept
    assert "h59999.big.example. A: rrset" in c.ok("lookup", "h59999.big.example.")
    waits.sort()
    assert waits and waits[-1] < 1.0, waits[-5:]  # every probe answered meanwhile
    print("60,000 lines loaded in %.2f s (%.0f lines/s); %d entries, %d bytes kept; "
          "%d probes meanwhile: median %.2f ms, p99 %.2f ms, max %.2f ms"
          % (dt, 60000 / dt, st["cache.entries"], st["cache.bytes"], len(waits),
             waits[len(waits) // 2] * 1000, waits[int(len(waits) * 0.99)] * 1000,
             waits[-1] * 1000))


def test_the_control_socket_bounds_a_load(start_ctl):
    """Over the socket itself: a line longer than 1 MiB ends the load with an error (what came
    before stays loaded); input that ends without "." is answered with an error; a line that
    trickles for more than 5 s closes the connection; other requests work meanwhile."""
    c = start_ctl()
    line = ("one.example. A rrset ttl=300 orig_ttl=300 stored=%s expires=%s "
            "rank=authoritative-answer data: 192.0.2.1\n"
            % (time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(time.time() - 1)),
               time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(time.time() + 300))))
    out, _ = c.raw_may_close(b"load-cache\n" + line.encode() + b"x" * (1024 * 1024 + 10),
                             wait=5)
    assert out == b"error: load-cache: a line longer than 1048576 bytes\n.\n", out[:200]
    assert "one.example. A: rrset" in c.ok("lookup", "one.example.")
    out = c.raw(b"load-cache\n" + line.replace("one.", "two.").encode(), wait=5)
    assert out == (b"error: load-cache: the input ended before the line \".\"; 1 of 1 lines "
                   b"were loaded\n.\n"), out
    # a load, then a request on the same connection
    out = c.raw(b"load-cache\n.\nstatus\n", wait=5)
    assert out.startswith(b"ok\nlines: 0\nloaded: 0\n") and b"\n.\nok\n" in out, out
    # a line that trickles: closed after 5 s, the load dropped
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    try:
        s.connect(c.sock)
        s.sendall(b"load-cache\n")
        t0 = time.monotonic()
        got = b""
        for ch in line.encode()[:12]:
            try:
                s.sendall(bytes([ch]))
            except OSError:
                break
            time.sleep(0.6)
        while time.monotonic() - t0 < 9:
            try:
                b = s.recv(100)
            except OSError:
                break
            if not b:
                break
            got += b
        took = time.monotonic() - t0
    finally:
        s.close()
    assert got == b"" and 4.5 <= took <= 8.5, (got, took)
    assert "requests-in-progress: " in c.ok("status")
