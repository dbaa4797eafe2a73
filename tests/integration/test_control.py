"""The control socket and the `rootwalk` command against a running rootwalkd in the lab (issue 6).

Each test starts its own rootwalkd (cold cache) with `control-socket:` in a directory of its
own, and drives it with the `rootwalk` binary (ROOTWALK, else next to ROOTWALKD) or, for the
malformed-request tests, with raw bytes on the socket. Every wait is bounded.
"""

import errno
import json
import os
import re
import signal
import socket
import stat
import subprocess
import tempfile
import time
from contextlib import contextmanager

import dns.rcode

from rwlab import control, dnsq, procs, traces, zonefiles
from rwlab.traces import parse_iso

VP = "video-platform.com."
DNSHOST = {"ns1.dnshost.net.": "127.3.0.1", "ns2.dnshost.net.": "127.3.0.2"}
MAX_REQUEST = 4096


@contextmanager
def no_leftover(path):
    yield
    assert not os.path.exists(path), "%s left behind" % path


# -- the socket file --------------------------------------------------------------------------------

def test_socket_mode_owner_and_removal(start_ctl):
    c = start_ctl()
    st = os.lstat(c.sock)
    assert stat.S_ISSOCK(st.st_mode)
    assert stat.S_IMODE(st.st_mode) == 0o600, oct(st.st_mode)
    assert st.st_uid == os.getuid()
    assert "control socket %s (mode 0600)" % c.sock in c.r.stderr()
    with no_leftover(c.sock):
        c.r.stop()
    c2 = start_ctl(extra="control-socket-mode: 0660\n"
                   "control-socket-owner: %d:%d\n" % (os.getuid(), os.getgid()))
    assert stat.S_IMODE(os.lstat(c2.sock).st_mode) == 0o660
    c2.ok("status")
    # A reload sets a new mode; one that changes neither mode nor owner leaves the file alone.
    with open(c2.r.conf) as f:
        conf = f.read()
    with open(c2.r.conf, "w") as f:
        f.write(conf.replace("control-socket-mode: 0660", "control-socket-mode: 0640"))
    out = c2.ok("reload")
    assert "warning" not in out and stat.S_IMODE(os.lstat(c2.sock).st_mode) == 0o640, out
    os.chmod(c2.sock, 0o600)
    out = c2.ok("reload")
    assert "warning" not in out and stat.S_IMODE(os.lstat(c2.sock).st_mode) == 0o600, out


def test_stale_live_and_foreign_socket_files(the_lab, start_rootwalkd):
    # A stale socket (its daemon died) is replaced.
    d = tempfile.mkdtemp(prefix="ctl-", dir=the_lab.tmp)
    stale = os.path.join(d, "stale.sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(stale)
    s.close()
    r = start_rootwalkd(extra="control-socket: %s\n" % stale)
    control.wait_socket(r, stale)
    control.Control(r, stale).ok("status")
    assert "removed stale control socket" in r.stderr()
    # A live one is never taken over: the second daemon refuses to start.
    r2 = start_rootwalkd(extra="control-socket: %s\n" % stale, wait=False)
    assert r2.proc.wait(timeout=10) != 0
    r2.stop()  # it exited as it should: not a death for conftest to report
    assert "another process is listening on it" in r2.stderr()
    control.Control(r, stale).ok("status")
    # A file that is not a socket is left alone.
    plain = os.path.join(d, "plain")
    with open(plain, "w") as f:
        f.write("not a socket\n")
    r3 = start_rootwalkd(extra="control-socket: %s\n" % plain, wait=False)
    assert r3.proc.wait(timeout=10) != 0
    r3.stop()
    assert "exists and is not a socket" in r3.stderr()
    with open(plain) as f:
        assert f.read() == "not a socket\n"


# -- lookup -----------------------------------------------------------------------------------------

def test_lookup_shows_remaining_ttl_expiry_and_source(zones, start_ctl):
    c = start_ctl()
    want = zonefiles.zone_rdataset(zones, VP, "A")
    orig = [rds.ttl for origin, z in zones.items() if origin == VP
            for rds in [z.get_rdataset(VP, "A")]][0]
    q0 = time.time()
    m = dnsq.ask(c.r.addr, VP, "A")
    q1 = time.time()
    assert m.rcode() == dns.rcode.NOERROR
    asked = (q0 + q1) / 2
    time.sleep(2.2)

    def left_bounds(l0, l1):
        """The remaining TTL a lookup between l0 and l1 may show (rounded up)."""
        return orig - (l1 - q0) - 1, orig - (l0 - q1) + 1

    l0 = time.time()
    out = c.ok("lookup", "video-platform.com")
    lo, hi = left_bounds(l0, time.time())
    assert out.startswith(";; lookup video-platform.com. at ")
    block = out.split("\n\n")[1]
    assert block.startswith("video-platform.com. A: rrset of %d record" % len(want)), out
    for rd in want:
        assert re.search(r"\tvideo-platform\.com\. \d+ IN A %s\n" % re.escape(rd.to_text()),
                         block), out
    left, of = map(int, re.search(r"ttl: +(\d+) s left of (\d+)", block).groups())
    assert of == orig
    assert lo <= left <= hi and left <= orig - 2, "%d s left of %d, expected %.1f..%.1f" % (
        left, orig, lo, hi)
    exp = re.search(r"expires: +(\S+), local (.+) \(in ", block)
    assert exp, block
    assert abs(parse_iso(exp.group(1)) - (asked + orig)) < 3
    src = re.search(r"from: +(\S+) \((\S+)\), zone (\S+)", block)
    assert src and src.group(1) in DNSHOST and src.group(2) == DNSHOST[src.group(1)], block
    assert src.group(3) == VP
    # video-platform.com is signed in the lab: the answer was validated, and its signature's
    # end is shown beside the TTL's
    assert "trust:    authoritative answer, validation secure" in block, block
    assert re.search(r"sigs: +sig until \S+Z \(in ", block), block
    # The delegation: the NS set at video-platform.com. and its servers' addresses.
    assert re.search(r";; closest cached delegation: video-platform\.com\. itself", out), out
    for ns, addr in DNSHOST.items():
        assert re.search(r"address: +%s A %s \(\d+ s left, expires " % (re.escape(ns), addr),
                         out), out

    l0 = time.time()
    j = json.loads(c.ok("lookup", "video-platform.com", "--json"))
    lo, hi = left_bounds(l0, time.time())
    a = [e for e in j["entries"] if e["type"] == "A"][0]
    assert a["kind"] == "rrset" and a["orig_ttl"] == orig
    assert lo <= a["ttl"] <= hi and a["ttl"] <= orig - 2, (a["ttl"], lo, hi)
    assert a["expires"] - a["stored"] in (orig, orig + 1)
    assert a["server"] in DNSHOST and a["addr"] == DNSHOST[a["server"]]
    assert a["zone"] == VP and a["rank"] == "authoritative answer"
    assert sorted(x.split()[-1] for x in a["records"]) == sorted(rd.to_text() for rd in want)
    assert j["delegation"]["zone"] == VP
    # Below it: nothing cached at the name, the delegation above it named.
    out = c.ok("lookup", "nothing-here.video-platform.com")
    assert ";; nothing cached at nothing-here.video-platform.com." in out
    assert ";; closest cached delegation above it: video-platform.com." in out


def test_lookup_explains_the_old_address(the_lab, start_ctl):
    """The propagation story: the authoritative address changes, rootwalkd still serves the old
    one, `lookup` says from where and until when, `trace --fresh` shows the new one, and `flush`
    (or the fresh trace) ends it."""
    name = "media." + VP
    c = start_ctl()
    with the_lab.zone_edits(VP) as change:
        assert dnsq.addrs(dnsq.ask(c.r.addr, name, "A")) == ["203.0.113.60"]
        change(lambda z: zonefiles.set_rrset(z, name, "A", 86400, "203.0.113.61"))
        assert dnsq.addrs(dnsq.ask(c.r.addr, name, "A")) == ["203.0.113.60"]
        out = c.ok("lookup", name)
        assert "\tmedia.video-platform.com. 86400 IN A 203.0.113.60\n" in out or \
            "IN A 203.0.113.60\n" in out, out
        exp = re.search(r"expires: +([^,\s]+)", out).group(1)
        assert 86400 - 10 < parse_iso(exp) - time.time() <= 86400, exp
        left = int(re.search(r"ttl: +(\d+) s left of 86400", out).group(1))
        assert left >= 86400 - 10
        # The fresh trace asks the authoritative servers again and sees the new address.
        t = c.ok("trace", name, "--fresh")
        assert "203.0.113.61" in t and re.search(r";; step \d+ +zone video-platform\.com\.", t), t
        assert "203.0.113.61" in c.ok("lookup", name)
        # Flush, and the next query walks again (and gets what the servers say now).
        out = c.ok("flush", name)
        assert re.match(r"removed 1 entry at media\.video-platform\.com\.\n$", out), out
        assert ";; nothing cached at" in c.ok("lookup", name)
        assert dnsq.addrs(dnsq.ask(c.r.addr, name, "A")) == ["203.0.113.61"]


# -- trace ------------------------------------------------------------------------------------------

def test_trace_cold_warm_fresh_and_json(start_ctl):
    c = start_ctl()
    cold = c.ok("trace", "www.video-platform.com")
    zones_asked = re.findall(r"^;; step \S+ +zone (\S+) +ask (\S+) \((\S+)\)", cold, re.M)
    assert {z for z, _, _ in zones_asked} >= {"com.", VP}, cold
    assert any(z == VP and ns in DNSHOST and addr == DNSHOST[ns] for z, ns, addr in zones_asked)
    assert ";; answer NOERROR" in cold and "203.0.113.42" in cold
    assert re.search(r"^;; done in ", cold, re.M)
    # Warm: a cache hit, no steps.
    warm = c.ok("trace", "www.video-platform.com")
    assert not re.search(r"^;; step", warm, re.M) and "203.0.113.42" in warm, warm
    # ... whose records are listed once, under the cache hit, not again under the answer
    recs = re.findall(r"^;;\s+\S+ \d+ IN (?:A|CNAME) .*$", warm, re.M)
    assert len(recs) == 2 and len(set(recs)) == 2, warm
    assert re.search(r"^;; answer NOERROR for \S+  \(the records listed above\)$", warm, re.M)
    # the client's answer was walked (a DS lookup of the validator may be a cache hit)
    assert not re.search(r"^;; answer .*listed above", cold, re.M), cold
    # Fresh: cached answers ignored, cached delegations used: one step, at the zone itself.
    fresh = c.ok("trace", "www.video-platform.com", "--fresh")
    steps = re.findall(r"^;; step \S+ +zone (\S+)", fresh, re.M)
    assert steps and steps[0] == VP, fresh
    assert "cached answers ignored" in fresh
    # JSON: one event per line, the contract's fields.
    out = c.ok("trace", "video-platform.com", "AAAA", "--fresh", "--json")
    evs = [json.loads(line) for line in out.splitlines() if line.strip()]
    assert evs[0]["ev"] == "query" and evs[-1]["ev"] == "done"
    assert len({e["trace"] for e in evs}) == 1
    sends = [e for e in evs if e["ev"] == "send" and not e.get("step", "").startswith("v")]
    assert sends and all(e["zone"] == VP for e in sends), sends
    ans = [e for e in evs if e["ev"] == "answer"][0]
    assert any("2001:db8::1" in rec["rr"] for rec in ans["records"]), ans
    # A name that does not exist: the trace says so; the command still succeeds.
    out = c.ok("trace", "nope.video-platform.com")
    assert "NXDOMAIN" in out


# -- flush ------------------------------------------------------------------------------------------

def test_flush_then_the_next_query_walks_again(start_ctl):
    c = start_ctl()
    dnsq.ask(c.r.addr, VP, "A")
    dnsq.ask(c.r.addr, VP, "A")
    got = traces.wait_trace(c.r.trace_log, VP, "A", count=2)
    assert not [e for e in got[1] if e["ev"] == "send"], "second query was not a cache hit"
    out = c.ok("flush", "video-platform.com")
    n = int(re.match(r"removed (\d+) entr(y|ies) at video-platform\.com\.\n$", out).group(1))
    assert n >= 1
    dnsq.ask(c.r.addr, VP, "A")
    third = traces.wait_trace(c.r.trace_log, VP, "A", count=3)[2]
    sends = [e for e in third if e["ev"] == "send"]
    assert sends and sends[0]["zone"] == "com.", [e["zone"] for e in sends]
    # Negative entries, and --negative --subtree.
    m = dnsq.ask(c.r.addr, "nope." + VP, "A")
    assert m.rcode() == dns.rcode.NXDOMAIN
    assert "nope.video-platform.com.: nxdomain" in c.ok("lookup", "nope.video-platform.com")
    out = c.ok("flush", "video-platform.com", "--subtree", "--negative")
    # the NXDOMAIN's validated NSEC records go too (the aggressive NSEC cache, RFC 8198)
    lines = out.splitlines()
    assert lines[0] == "removed 1 entry at and below video-platform.com. (negative entries only)"
    assert all(re.match(r"removed \d+ NSEC records? of the aggressive NSEC cache$", l)
               for l in lines[1:]), out
    assert "A: rrset" in c.ok("lookup", "video-platform.com"), "positive entries were flushed"
    # flush-all: every entry, counted.
    entries = c.stats()["cache.entries"]
    out = c.ok("flush-all")
    m = re.match(r"removed (\d+) entr(y|ies) \(the whole cache\)\n$", out)
    assert m and int(m.group(1)) == entries, (out, entries)
    assert c.ok("dump-cache") == ";; 0 entries\n"
    assert c.stats()["cache.entries"] == 0
    assert dnsq.ask(c.r.addr, VP, "A").rcode() == dns.rcode.NOERROR


def test_nta_add_list_remove_and_flush_bogus(start_ctl, the_lab):
    """Negative trust anchors are stored and listed with their expiry, kept across a reload and
    removed; flush --bogus answers (nothing is bogus without a validator)."""
    c = start_ctl()
    assert c.ok("nta", "list") == ";; 0 negative trust anchors\n"
    t0 = time.time()
    out = c.ok("nta", "add", "Broken.Example.COM", "--ttl", "600")
    m = re.match(r"negative trust anchor broken\.example\.com\. until (\S+) \(in 10m00s\)\n"
                 r"removed 0 key cache entries at and below broken\.example\.com\.\n", out)
    assert m, out
    assert abs(parse_iso(m.group(1)) - (t0 + 600)) < 5
    c.ok("nta", "add", "example.org")
    out = c.ok("nta", "list")
    lines = out.splitlines()
    assert lines[-1] == ";; 2 negative trust anchors", out
    assert re.match(r"broken\.example\.com\. \S+Z in (59\d|600)s$", lines[0]), out
    assert re.match(r"example\.org\. \S+Z in (359\d|3600)s$", lines[1]), out
    got = json.loads(c.ok("nta", "list", "--json"))
    assert [e["name"] for e in got] == ["broken.example.com.", "example.org."]
    assert 590 <= got[0]["in"] <= 600 and got[0]["expires_iso"].endswith("Z")
    assert c.run("reload").returncode == 0
    assert ";; 2 negative trust anchors" in c.ok("nta", "list"), "a reload dropped the NTAs"
    out = c.ok("nta", "remove", "example.org.")
    assert out.startswith("removed negative trust anchor example.org.\n"), out
    assert re.search(r"^removed \d+ key cache and \d+ cache entr(y|ies) at and below example\.org\.$",
                     out, re.M), out
    p = c.run("nta", "remove", "example.org.")
    assert p.returncode == 1 and "example.org. is not a negative trust anchor" in p.stderr
    assert c.run("nta", "add", "x.example", "--ttl", "0").returncode == 2
    assert c.run("nta", "frob").returncode == 2
    assert "removed 0 bogus key cache entries (every zone)" in c.ok("flush", "--bogus")
    out = c.ok("flush", "example.com", "--subtree", "--bogus")
    assert "removed 0 bogus key cache entries at and below example.com." in out
    assert dnsq.ask(c.r.addr, VP, "A").rcode() == dns.rcode.NOERROR


# -- stats, dump-cache, status -----------------------------------------------------------------------

def test_stats_count(start_ctl):
    c = start_ctl()
    s0 = c.stats()
    dnsq.ask(c.r.addr, VP, "A")
    dnsq.ask(c.r.addr, VP, "A")
    dnsq.ask(c.r.addr, VP, "A", tcp=True)
    dnsq.ask(c.r.addr, "nope." + VP, "A")
    s1 = c.stats()
    assert s1["client.queries.udp"] - s0["client.queries.udp"] == 3
    assert s1["client.queries.tcp"] - s0["client.queries.tcp"] == 1
    assert s1["client.rcode.NOERROR"] - s0["client.rcode.NOERROR"] == 3
    assert s1["client.rcode.NXDOMAIN"] - s0["client.rcode.NXDOMAIN"] == 1
    assert s1["cache.hits"] + s1["cache.fast_path"] - s0["cache.hits"] - s0["cache.fast_path"] \
        >= 2
    assert s1["upstream.queries"] > s0["upstream.queries"]
    rtt = sum(v for k, v in s1.items() if k.startswith("upstream.rtt."))
    assert 0 < rtt <= s1["upstream.queries"]
    assert s1["cache.entries"] > 0 and s1["cache.bytes"] > 0
    # The text form has the same keys and values.
    text = dict(line.split(": ", 1) for line in c.ok("stats").splitlines())
    assert set(text) == set(s1)
    assert int(text["client.queries.tcp"]) == s1["client.queries.tcp"]


def test_dump_cache_and_status(start_ctl):
    c = start_ctl()
    dnsq.ask(c.r.addr, "www." + VP, "A")
    out = c.ok("dump-cache").splitlines()
    n = int(re.match(r";; (\d+) entries$", out[-1]).group(1))
    assert n == len(out) - 1 > 3
    line = [x for x in out if x.startswith("video-platform.com. A rrset ")]
    # the signed lab: the RRSIGs follow the data (load-cache reads them back)
    assert len(line) == 1 and re.search(r" data: 203\.0\.113\.42( sigs: A \d+ .+)?$", line[0]), line
    f = dict(kv.split("=", 1) for kv in line[0].split(" data: ")[0].split()[3:])
    assert f["server"] in DNSHOST and f["addr"] == DNSHOST[f["server"]]
    assert f["zone"] == VP and f["rank"] == "authoritative-answer"
    assert int(f["ttl"]) <= int(f["orig_ttl"]) == 300
    # in the cache's order (made in parts, not sorted): the root is there
    assert any(x.startswith(". NS rrset ") for x in out), out[:5]
    js = [json.loads(x) for x in c.ok("dump-cache", "--json").splitlines()]
    assert len(js) == n
    assert {"owner", "type", "kind", "ttl", "orig_ttl", "stored", "expires", "expires_iso",
            "server", "addr", "zone", "rank", "vstate", "records"} <= set(js[0])
    st = dict(x.split(": ", 1) for x in c.ok("status").splitlines())
    assert st["pid"] == str(c.r.proc.pid)
    assert st["config"] == c.r.conf and st["control-socket"] == c.sock
    assert int(st["cache-entries"]) >= n


# -- reload -----------------------------------------------------------------------------------------

def test_reload_refuses_a_bad_file_and_keeps_serving(start_ctl):
    c = start_ctl()
    dnsq.ask(c.r.addr, VP, "A")
    with open(c.r.conf) as f:
        good = f.read()
    out = c.ok("reload")
    assert out.startswith("reloaded %s\n" % c.r.conf)
    try:
        with open(c.r.conf, "a") as f:
            f.write("cache-max-ttl: banana\n")
        p = c.run("reload")
        assert p.returncode == 1 and p.stdout == ""
        nlines = good.count("\n") + 1
        assert re.match(r"rootwalk: %s:%d: .*cache-max-ttl.*\(the running configuration is "
                        r"kept\)\n$" % (re.escape(c.r.conf), nlines), p.stderr), p.stderr
        # A root hints file that does not exist: refused too.
        with open(c.r.conf, "w") as f:
            f.write(good.replace("root-hints: ", "root-hints: /nonexistent"))
        p = c.run("reload")
        assert p.returncode == 1 and "/nonexistent" in p.stderr, p.stderr
        # Still serving, cache intact, and SIGHUP with the bad file changes nothing either.
        c.r.proc.send_signal(signal.SIGHUP)
        assert dnsq.ask(c.r.addr, VP, "A").rcode() == dns.rcode.NOERROR
        got = traces.wait_trace(c.r.trace_log, VP, "A", count=2)
        assert not [e for e in got[1] if e["ev"] == "send"], "the cache was lost"
        st = dict(x.split(": ", 1) for x in c.ok("status").splitlines())
        assert st["reloads"].startswith("1 ") and st["reloads"].endswith("refused: 3"), st
    finally:
        with open(c.r.conf, "w") as f:
            f.write(good)
    # A good file with a new cap is applied, the cache kept.
    with open(c.r.conf, "a") as f:
        f.write("cache-max-ttl: 60\n")
    assert c.ok("reload").startswith("reloaded ")
    assert "video-platform.com. A: rrset" in c.ok("lookup", VP)
    dnsq.ask(c.r.addr, "mail." + VP, "A")
    j = json.loads(c.ok("lookup", "mail." + VP, "--json"))
    assert j["entries"][0]["orig_ttl"] == 60, j


def test_sighup_reopens_the_trace_log(start_ctl):
    c = start_ctl()
    dnsq.ask(c.r.addr, VP, "A")
    assert traces.wait_trace(c.r.trace_log, VP, "A")
    os.rename(c.r.trace_log, c.r.trace_log + ".1")
    c.r.proc.send_signal(signal.SIGHUP)
    # The daemon reopens (creates) the file when it handles the signal; a query answered
    # before that would be traced in the old file.
    procs.wait_for(lambda: os.path.exists(c.r.trace_log), timeout=5, proc=c.r.proc,
                     what="a new %s after SIGHUP" % c.r.trace_log)
    dnsq.ask(c.r.addr, "mail." + VP, "A")
    assert traces.wait_trace(c.r.trace_log, "mail." + VP, "A"), "no trace in the new file"
    assert not traces.traces_for(c.r.trace_log + ".1", "mail." + VP, "A")


def test_a_trace_log_that_falls_behind_drops_whole_traces(the_lab, start_ctl):
    """The trace log is a FIFO whose reader stops reading: rootwalkd keeps answering at full
    speed, drops (and counts) whole traces beyond its bound, and what it did write is whole."""
    d = tempfile.mkdtemp(prefix="fifo-", dir=the_lab.tmp)
    fifo = os.path.join(d, "trace.fifo")
    os.mkfifo(fifo)
    rfd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        c = start_ctl(extra="trace-log: %s\n" % fifo)
        # cache hits of ~6 KB of JSON each, queued as packed records of ~1.9 KB: 3,000 of them
        # are more than the 4 MiB the sink may queue
        name, n = "big." + VP, 3000
        assert dnsq.ask(c.r.addr, name, "TXT", tcp=True).rcode() == dns.rcode.NOERROR
        t0 = time.monotonic()
        rcodes = dnsq.tcp_burst(c.r.addr, name, "TXT", n)
        elapsed = time.monotonic() - t0
        assert rcodes == [0] * n
        st = dict(x.split(": ", 1) for x in c.ok("status").splitlines())
        dropped = int(st["trace-log-dropped"])
        assert dropped > 0, "%d traces of ~1.9 KB did not overflow the 4 MiB bound?" % n
        assert "falls behind" in c.r.stderr() and "dropping traces" in c.r.stderr()
        # Read now: the daemon catches up, and everything it wrote is whole traces.
        data = b""
        quiet_since = time.monotonic()
        deadline = time.monotonic() + 20
        while time.monotonic() - quiet_since < 1.0 and time.monotonic() < deadline:
            try:
                chunk = os.read(rfd, 1 << 20)
            except OSError as e:
                if e.errno != errno.EAGAIN:
                    raise
                chunk = b""
            if chunk:
                data += chunk
                quiet_since = time.monotonic()
            else:
                time.sleep(0.01)
        assert data.endswith(b"\n")
        traces = {}
        for line in data.decode().splitlines():
            ev = json.loads(line)
            traces.setdefault(ev["trace"], []).append(ev)
        big = [t for t in traces.values() if t[0]["ev"] == "query" and t[0]["qname"] == name]
        assert all(t[-1]["ev"] == "done" for t in traces.values()), "a trace was cut"
        assert len(big) + dropped == n + 1, (len(big), dropped, n)
        assert "caught up" in c.r.stderr()
        print("%d queries in %.2f s with the trace log stuck; %d traces dropped, %d written"
              % (n, elapsed, dropped, len(big)))
    finally:
        os.close(rfd)


# -- malformed requests and the connection limits ---------------------------------------------------

def test_malformed_requests_get_errors(start_ctl):
    c = start_ctl()
    bad = [b"\n", b"bogus\n", b"lookup\n", b"lookup a..b\n", b"LOOKUP x\n",
           b"lookup x fresh\n", b"trace x AXFR\n", b"flush x json\n", b"lookup \xff\xfe\n",
           b"lookup x\x00y\n", b"status json\n", b"a b c d e f g h i\n",
           b"lookup \x1b[2Jx\n", b"flush-all now\n"]
    for req in bad:
        got = control.responses(c.raw(req))
        assert len(got) == 1 and got[0][0].startswith("error: ") and got[0][1] == [], (req, got)
        assert all(0x20 <= ord(ch) < 0x7f for ch in got[0][0]), got
    # Several requests on one connection, answered in order; CRLF and a last line without
    # a newline are accepted.
    got = control.responses(c.raw(b"status\r\nnonsense\nlookup video-platform.com\nhelp"))
    assert [s for s, _ in got] == ["ok", got[1][0], "ok", "ok"], got
    assert got[1][0].startswith("error: unknown request")
    # Too long: an error, then the connection is closed. The daemon stops reading after
    # MAX_REQUEST bytes and may close before the client has sent the rest (EPIPE/ECONNRESET on
    # the send): the error reply, if it could still be read, must be the right one.
    data, sent_all = c.raw_may_close(b"lookup " + b"a" * (MAX_REQUEST + 100) + b"\n")
    too_long = [("error: request longer than %d bytes" % MAX_REQUEST, [])]
    assert control.responses(data) == too_long or (not sent_all and data == b""), (sent_all, data)
    check_too_long(c, b"x" * 100000)
    # Exactly at the limit is fine.
    line = b"status" + b" " * (MAX_REQUEST - 7) + b"\n"
    assert len(line) == MAX_REQUEST
    assert control.responses(c.raw(line))[0][0] == "ok"
    # Random bytes: errors, never a crash.
    for i in range(20):
        c.raw(os.urandom(64 + i * 97) + b"\n", wait=1.0)
    assert dnsq.ask(c.r.addr, VP, "A").rcode() == dns.rcode.NOERROR
    c.ok("status")


def check_too_long(c, data, sndbuf=None):
    """Send an oversized request (no newline within MAX_REQUEST bytes). The daemon answers
    "error: request longer than ..." and closes, possibly before the client has sent it all.
    Either the whole request was sent and the error came back, or the send failed because the
    daemon had closed and then the error, or nothing (EOF or a reset), is what can be read.
    Either way the daemon lives on and answers the next request. Returns sent_all."""
    data, sent_all = c.raw_may_close(data, close_write=False, sndbuf=sndbuf)
    if sent_all or data:
        assert data.startswith(b"error: request longer than %d bytes\n" % MAX_REQUEST), \
            (sent_all, data[:200])
    assert c.r.proc.poll() is None, "rootwalkd exited after an oversized request"
    assert "pid: %d\n" % c.r.proc.pid in c.ok("status")
    return sent_all


def test_oversized_request_closed_while_sending(start_ctl):
    """The close-first case made certain: with a small send buffer, 8 MB cannot be sent before
    the daemon has read its MAX_REQUEST bytes, answered with the error and closed, so the send
    fails (EPIPE or ECONNRESET); the error reply is still readable (or EOF), and the daemon goes
    on answering, each time."""
    c = start_ctl()
    for _ in range(5):
        assert not check_too_long(c, b"x" * (8 << 20), sndbuf=4096), \
            "8 MB sent although the daemon closes after %d bytes" % MAX_REQUEST
    # An ordinary sized request that the daemon answers (and closes) before it is all sent.
    assert not check_too_long(c, b"lookup " + b"a" * (1 << 20) + b"\n", sndbuf=4096)
    assert dnsq.ask(c.r.addr, VP, "A").rcode() == dns.rcode.NOERROR


def test_connection_limit_and_abandoned_requests(the_lab, start_ctl):
    c = start_ctl(extra="query-budget: 3000\n")
    held = []
    try:
        for _ in range(16):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(c.sock)
            held.append(s)
        time.sleep(0.2)
        # At the cap, a new connection closes the one idle longest (the first) and is served.
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(3)
            s.connect(c.sock)
            s.sendall(b"status\n")
            s.shutdown(socket.SHUT_WR)
            assert control.responses(dnsq.read_until_closed(s, 3))[0][0] == "ok"
        held[0].settimeout(3)
        assert held[0].recv(100) == b"", "the idlest one was not closed"  # EOF, no timeout
        # The other held connections still work.
        held[1].sendall(b"status\n")
        held[1].shutdown(socket.SHUT_WR)
        assert control.responses(dnsq.read_until_closed(held[1], 3))[0][0] == "ok"
    finally:
        for s in held:
            s.close()
    # The daemon counts a closed connection out only when it has handled its end (EOF,
    # shutdown, close): until then a new one may still be refused. Poll, bounded.
    procs.wait_for(lambda: c.run("status").returncode == 0, timeout=5, interval=0.05,
                     proc=c.r.proc, what="a control connection accepted after the 16 closed")
    c.ok("status")
    # A client that goes away in the middle of a trace: the trace is cancelled.
    with the_lab.silenced("ns.cdnhost.net"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(c.sock)
        s.sendall(b"trace edge.cdnhost.net fresh\n")
        deadline = time.monotonic() + 2
        while c.stats()["control.pending"] != 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert c.stats()["control.pending"] == 1
        s.close()
        deadline = time.monotonic() + 2
        while c.stats()["control.pending"] != 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert c.stats()["control.pending"] == 0
        # One that waits gets the whole trace of the failure, within the query budget.
        t0 = time.monotonic()
        out = c.ok("trace", "edge.cdnhost.net", "--fresh")
        assert time.monotonic() - t0 < 5
        assert "SERVFAIL" in out and "timeout" in out.lower(), out
    c.ok("status")


# -- the command's exit codes -----------------------------------------------------------------------

def test_exit_codes_when_the_daemon_is_not_there(the_lab, start_ctl):
    d = tempfile.mkdtemp(prefix="ctl-", dir=the_lab.tmp)
    cli = control.cli_path()

    def run(*args):
        return subprocess.run([cli] + list(args), capture_output=True, text=True,
                              timeout=control.CLI_TIMEOUT)

    p = run("-s", os.path.join(d, "missing.sock"), "status")
    assert p.returncode == 3 and "rootwalkd is not running" in p.stderr, p
    assert p.stderr.count("\n") == 1
    stale = os.path.join(d, "stale.sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(stale)
    s.close()
    p = run("-s", stale, "stats")
    assert p.returncode == 3 and "nothing listens" in p.stderr, p
    # The socket is found through the daemon's configuration file (-c).
    c = start_ctl()
    p = run("-c", c.r.conf, "status")
    assert p.returncode == 0 and "control-socket: %s" % c.sock in p.stdout, p
    c.r.stop()
    p = run("-c", c.r.conf, "status")
    assert p.returncode == 3 and "not running" in p.stderr, p
    conf = os.path.join(d, "no-control.conf")
    with open(conf, "w") as f:
        f.write("listen: 127.0.0.1@53\n")
    # No control-socket line, or no file: the default socket (issue 13), not running here.
    p = run("-c", conf, "status")
    assert p.returncode == 3 and "/run/rootwalk/control.sock" in p.stderr, p
    p = run("-c", os.path.join(d, "absent.conf"), "status")
    assert p.returncode == 3 and "/run/rootwalk/control.sock" in p.stderr, p
    with open(conf, "w") as f:
        f.write("listen: 127.0.0.1@53\ncontrol-socket: off\n")
    p = run("-c", conf, "status")
    assert p.returncode == 2 and "control-socket: off" in p.stderr, p
    # Usage errors are caught before connecting.
    for args in (["lookup"], ["trace", "x", "AXFR"], ["flush", "x", "--json"],
                 ["lookup", "a b"], ["stats", "--bogus"], ["frobnicate"]):
        p = run("-s", os.path.join(d, "missing.sock"), *args)
        assert p.returncode == 2, (args, p)
