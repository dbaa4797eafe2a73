"""`rootwalk check NAME [TYPE] [--json]` (issue 15) against the lab zones made for it, one
failure each (zones/lab.conf, 127.3.6.x-127.3.9.x; each zone file's opening comment says what is
wrong with it): the finding codes and the servers they name, no false finding on the healthy
zone, the exit codes (0 ok, 6 warnings, 7 errors), the JSON keys and the text lines of the
contract, the time bound with a silent server, the cache left unchanged, bad names and types,
`trace --fresh` naming servers behind, and the README's story of moving video-platform.com to
new servers (scripts/rwlab/movestory.py).

A module rootwalkd with a control socket answers the read-only cases; tests that look at or
change the cache, or change zones, start their own (start_ctl)."""

import calendar
import json
import os
import re
import tempfile
import time

import pytest

from conftest import _stop_and_check, need_rootwalkd
from rwlab import control, dnsq
from rwlab.faults import SilentServers
from rwlab.movestory import (BEHIND_ADDR, NEW_A, NEW_ADDRS, NEW_NS, OLD_A, OLD_NS, VP,
                             MoveStory)

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_WARNINGS, EXIT_ERRORS = 0, 1, 2, 6, 7
CHECK_BOUND = 5.0  # seconds the whole check may take, even when every server is silent

# name, type, exit status, {code: servers that finding must name (a subset)}
CASES = {
    "halflame": ("www.halflame.com.", "A", EXIT_ERRORS, {"lame-refused": ["127.3.6.2"]}),
    "nsdiff": ("www.nsdiff.com.", "A", EXIT_WARNINGS, {"ns-parent-only": [],
                                                        "ns-child-only": []}),
    "gluediff": ("www.gluediff.com.", "A", EXIT_ERRORS, {"glue-mismatch": ["127.3.6.1"]}),
    "apexcname": ("apexcname.com.", "A", EXIT_ERRORS, {"cname-at-apex": []}),
    "nodata": ("www.nodata.com.", "A", EXIT_WARNINGS, {"nodata": []}),
    "propagation": ("www.propagation.com.", "A", EXIT_ERRORS,
                    {"serial-mismatch": ["127.3.7.3"], "answer-mismatch": ["127.3.7.3"]}),
    "longttl": ("www.longttl.com.", "A", EXIT_WARNINGS, {"ttl-long": []}),
    "silent": ("www.silent.net.", "A", EXIT_ERRORS, {"server-timeout": ["127.3.8.1"]}),
    # the DNSSEC zones of zones/dnssec.conf: the parent's DS digests a key the zone lacks
    "ds-mismatch": ("www.ds-mismatch.com.", "A", EXIT_ERRORS, {"dnssec-ds-mismatch": []}),
}
SEVERITY = {"lame-refused": "error", "ns-parent-only": "warning", "ns-child-only": "warning",
            "glue-mismatch": "error", "cname-at-apex": "error", "nodata": "warning",
            "serial-mismatch": "error", "answer-mismatch": "error", "ttl-long": "warning",
            "server-timeout": "error", "cache-differs": "warning", "dnssec-ds-mismatch": "error"}


@pytest.fixture(scope="module")
def ctl(the_lab):
    """A rootwalkd with a control socket for the module (the read-only checks)."""
    need_rootwalkd()
    sock = os.path.join(tempfile.mkdtemp(prefix="ctl-", dir=the_lab.tmp), "control.sock")
    r = the_lab.start_rootwalkd(addr="127.0.0.49", extra="control-socket: %s\n" % sock,
                                name="rootwalkd-check")
    control.wait_socket(r, sock)
    yield control.Control(r, sock)
    _stop_and_check(r)


def check(c, name, rdtype="A", *more):
    """`rootwalk check NAME TYPE --json`: (exit status, the JSON object, seconds it took)."""
    t = time.monotonic()
    p = c.run("check", name, rdtype, "--json", *more)
    took = time.monotonic() - t
    try:
        j = json.loads(p.stdout)
    except ValueError:
        pytest.fail("rootwalk check %s %s --json: exit %d, not JSON:\nstdout: %s\nstderr: %s"
                    % (name, rdtype, p.returncode, p.stdout[-3000:], p.stderr[-3000:]))
    return p.returncode, j, took


def findings(j, code=None):
    return [f for f in j["findings"] if code is None or f["code"] == code]


def codes(j):
    return sorted({f["code"] for f in j["findings"]})


def server(j, addr):
    got = [s for s in j["servers"] if s["address"] == addr]
    assert len(got) == 1, "server %s once in %s" % (addr, [s["address"] for s in j["servers"]])
    return got[0]


def iso_seconds(text):
    """Seconds since the epoch of an ISO 8601 UTC time as the check writes it."""
    return calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ"))


def show(j):
    return json.dumps(j, indent=1)[-6000:]


# -- one zone per failure ------------------------------------------------------------------------

@pytest.mark.parametrize("case", sorted(CASES))
def test_finds_the_failure(ctl, case):
    name, rdtype, want_exit, want = CASES[case]
    rc, j, took = check(ctl, name, rdtype)
    for code, addrs in want.items():
        got = findings(j, code)
        assert got, "%s: no %s finding; codes %s\n%s" % (name, code, codes(j), show(j))
        named = {a for f in got for a in f.get("servers", [])}
        assert set(addrs) <= named, "%s: %s names %s, want %s" % (name, code, named, addrs)
        assert all(f["severity"] == SEVERITY[code] for f in got), got
        assert all(f["text"].strip() for f in got), got
    assert j["status"] == {EXIT_WARNINGS: "warnings", EXIT_ERRORS: "errors"}[want_exit], show(j)
    assert rc == want_exit, "%s: exit %d, want %d; codes %s" % (name, rc, want_exit, codes(j))
    assert took < CHECK_BOUND + 1, took


def test_healthy_zone_is_ok_and_the_json_has_the_contract_keys(ctl):
    rc, j, _ = check(ctl, "www.healthy.com")
    bad = [f for f in j["findings"] if f["severity"] != "info"]
    assert not bad and j["status"] == "ok" and rc == EXIT_OK, show(j)
    assert set(j) >= {"name", "type", "zone", "status", "checked_at", "parent", "child_ns",
                      "child_ns_ttl", "servers", "findings", "ttl", "cache"}
    assert (j["name"], j["type"], j["zone"]) == ("www.healthy.com.", "A", "healthy.com.")
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", j["checked_at"]), j["checked_at"]
    p = j["parent"]
    assert p["zone"] == "com." and p["servers"] == ["127.2.0.1"], p
    assert sorted(p["ns"]) == ["ns1.healthy.com.", "ns2.healthy.com."] and p["ns_ttl"] == 172800
    assert p["glue"] == {"ns1.healthy.com.": ["127.3.6.1"], "ns2.healthy.com.": ["127.3.6.2"]}
    assert sorted(j["child_ns"]) == sorted(p["ns"]) and j["child_ns_ttl"] == 86400
    assert sorted(s["address"] for s in j["servers"]) == ["127.3.6.1", "127.3.6.2"], show(j)
    for addr in ("127.3.6.1", "127.3.6.2"):
        s = server(j, addr)
        assert s["state"] == "ok" and s["soa_serial"] == 2026120301 and s["tcp"] == "ok", s
        assert "glue" in s["source"] and "child" in s["source"], s
        assert isinstance(s["rtt_ms"], (int, float)) and 0 <= s["rtt_ms"] < 1500, s
        a = s["answer"]
        assert a["rcode"] == "NOERROR" and a["aa"] is True, a
        assert [re.sub(r"\s+", " ", r) for r in a["records"]] == \
            ["www.healthy.com. 300 IN A 192.0.2.10"], a
        assert a["min_ttl"] == a["max_ttl"] == 300, a
    t = j["ttl"]
    assert t["answer_max_ttl"] == 300 and t["delegation_ttl"] == 172800, t
    assert t["negative_ttl"] == 300, t  # the SOA minimum (and SOA TTL 3600)
    checked = time.mktime(time.strptime(j["checked_at"], "%Y-%m-%dT%H:%M:%SZ"))
    until = time.mktime(time.strptime(t["serve_until"], "%Y-%m-%dT%H:%M:%SZ"))
    # 300 s from when the answers came, which is within the check's time from checked_at
    assert 300 <= until - checked <= 300 + CHECK_BOUND, (j["checked_at"], t["serve_until"])


@pytest.mark.parametrize("name", ["www.secure-nsec.com", "www.video-platform.com"])
def test_signed_healthy_zones_are_ok(ctl, name):
    """Signed zones whose DS matches (zones/dnssec.conf): nothing to say about DNSSEC."""
    rc, j, _ = check(ctl, name)
    bad = [f for f in j["findings"] if f["severity"] != "info"]
    assert not bad and rc == EXIT_OK, show(j)
    # the first signature to end, DNSKEY set or answer: after the check, within the signer's
    # validity (the lab signs for at most a year)
    assert j["dnssec"]["result"] == "secure", show(j)
    end = iso_seconds(j["dnssec"]["earliest_rrsig_expiry"])
    checked = iso_seconds(j["checked_at"])
    assert checked < end <= checked + 366 * 86400, show(j)


def test_text_output_has_the_key_lines(ctl):
    p = ctl.run("check", "www.propagation.com")
    out = p.stdout
    assert p.returncode == EXIT_ERRORS, (p.returncode, out, p.stderr)
    head = out.splitlines()[0]
    assert "www.propagation.com" in head and "A" in head and "propagation.com" in head, out
    for addr, serial in (("127.3.7.1", "2026120302"), ("127.3.7.2", "2026120302"),
                         ("127.3.7.3", "2026120301")):
        line = [l for l in out.splitlines() if addr in l and serial in l]
        assert line, "no server line for %s with serial %s:\n%s" % (addr, serial, out)
    assert "198.51.100.10" in out and "198.51.100.20" in out, out
    assert "serial-mismatch" in out and "answer-mismatch" in out, out
    assert re.search(r"may serve it until \d\d:\d\d:\d\d UTC \(longest TTL among the servers' "
                     r"answers: 300 s\)", out), out
    assert re.search(r"delegation TTL is 172800 s", out), out
    assert re.search(r"negative answers may be cached 300 s", out), out
    assert len(out.splitlines()) <= 60, "more than a screen: %d lines" % len(out.splitlines())


def test_silent_server_bounded_and_named(ctl):
    """Every probe of the silent server times out; the check still ends within the bound and
    says which server was silent, while the other server answers."""
    rc, j, took = check(ctl, "www.silent.net")
    assert took < CHECK_BOUND, "check took %.2f s" % took
    assert server(j, "127.3.8.1")["state"] == "timeout", show(j)
    assert server(j, "127.3.6.1")["state"] == "ok", show(j)
    assert rc == EXIT_ERRORS


def test_at_most_32_addresses_probed_and_bounded(ctl):
    """manyns.com has 40 name servers with glue; 39 addresses are silent: the check probes at
    most 32 of them and still answers within the bound."""
    silent = ["127.3.8.%d" % i for i in range(102, 141)]
    with SilentServers(silent):
        rc, j, took = check(ctl, "www.manyns.com")
    assert len(j["parent"]["ns"]) == 40, j["parent"]["ns"]
    probed = [s["address"] for s in j["servers"]]
    assert 0 < len(probed) <= 32 and len(set(probed)) == len(probed), probed
    assert took < CHECK_BOUND, "check took %.2f s" % took
    assert rc == EXIT_ERRORS and findings(j, "server-timeout"), show(j)
    timeouts = {s["address"] for s in j["servers"] if s["state"] == "timeout"}
    assert timeouts and timeouts <= set(silent), timeouts


def test_glue_left_out_of_a_udp_referral_is_no_mismatch(ctl):
    """com.'s referral for manyns.com holds 40 NS and 40 glue addresses: 1,443 bytes. Over UDP
    (EDNS 1232) NSD sends 26 of the glue records and drops the rest without setting TC; over
    TCP all 40 come. The parent does have glue for ns27-ns40 and it equals the zone's own
    addresses: no glue-mismatch."""
    _, j, _ = check(ctl, "www.manyns.com")
    assert not findings(j, "glue-mismatch"), [f["text"] for f in findings(j, "glue-mismatch")]
    assert len(j["parent"]["glue"]) == 40, sorted(j["parent"]["glue"])
    # nothing listens at 127.3.8.102-140: ICMP port unreachable, told apart from silence
    dead = [s for s in j["servers"] if s["address"] != "127.3.6.1"]
    assert dead and all(s["state"] == "error" and "port unreachable" in s["detail"]
                        for s in dead), show(j)


def test_apex_cname_server_is_not_called_broken(ctl):
    """Knot answers the SOA and NS questions at the apex with the CNAME (aa): the server
    answered for the zone, the finding is the CNAME."""
    _, j, _ = check(ctl, "apexcname.com")
    s = server(j, "127.3.6.4")
    assert s["state"] == "ok" and "CNAME" in s["detail"], s
    assert not findings(j, "server-error"), show(j)


def test_propagation_zone_serials_and_answers_side_by_side(ctl):
    rc, j, _ = check(ctl, "www.propagation.com")
    serials = {s["address"]: s["soa_serial"] for s in j["servers"]}
    assert serials == {"127.3.7.1": 2026120302, "127.3.7.2": 2026120302,
                       "127.3.7.3": 2026120301}, serials
    answers = {s["address"]: [r.split()[-1] for r in s["answer"]["records"]]
               for s in j["servers"]}
    assert answers == {"127.3.7.1": ["198.51.100.20"], "127.3.7.2": ["198.51.100.20"],
                       "127.3.7.3": ["198.51.100.10"]}, answers
    f = findings(j, "serial-mismatch")[0]
    assert "127.3.7.3" in f["text"] and "behind" in f["text"], f


def test_findings_name_what_differs(ctl):
    _, j, _ = check(ctl, "www.nsdiff.com")
    assert sorted(j["parent"]["ns"]) == ["ns1.nsdiff.com.", "ns2.nsdiff.com."]
    assert sorted(j["child_ns"]) == ["ns1.nsdiff.com.", "ns3.nsdiff.com."]
    assert "ns2.nsdiff.com" in findings(j, "ns-parent-only")[0]["text"]
    assert "ns3.nsdiff.com" in findings(j, "ns-child-only")[0]["text"]
    _, j, _ = check(ctl, "www.gluediff.com")
    f = findings(j, "glue-mismatch")[0]
    assert "ns1.gluediff.com" in f["text"] and "127.3.6.1" in f["text"] and \
        "127.3.6.3" in f["text"], f
    assert j["parent"]["glue"]["ns1.gluediff.com."] == ["127.3.6.1"]
    _, j, _ = check(ctl, "www.nodata.com")
    f = findings(j, "nodata")[0]
    assert "NODATA" in f["text"] and re.search(r"\bMX\b", f["text"]) and \
        re.search(r"\bTXT\b", f["text"]), f
    _, j, _ = check(ctl, "www.longttl.com")
    assert "604800" in findings(j, "ttl-long")[0]["text"]
    assert j["ttl"]["answer_max_ttl"] == 604800
    _, j, _ = check(ctl, "www.halflame.com")
    assert server(j, "127.3.6.2")["state"] == "refused"
    assert server(j, "127.3.6.1")["state"] == "ok"


# -- the cache: used, never changed ----------------------------------------------------------------

def cache_entries(c, until):
    """The cache as {(owner, type, kind): (stored, records)}, the entries that expire after
    until (short-TTL ones may be dropped or stored again while the test runs; one until for
    every dump, so that both hold the same entries)."""
    out = {}
    for line in c.ok("dump-cache", "--json").splitlines():
        e = json.loads(line)
        if e["expires"] > until:
            out[(e["owner"].lower(), e["type"], e["kind"])] = (e["stored"],
                                                               sorted(e.get("records", [])))
    return out


def test_check_leaves_the_cache_unchanged(start_ctl):
    c = start_ctl()
    assert dnsq.addrs(dnsq.ask(c.r.addr, "www.healthy.com.", "A")) == ["192.0.2.10"]
    dnsq.ask(c.r.addr, "www.nodata.com.", "MX")
    until = time.time() + 60
    before, stats0 = cache_entries(c, until), c.stats()
    for name in ("www.healthy.com", "www.propagation.com", "www.nodata.com", "www.halflame.com",
                 "apexcname.com", "www.gluediff.com"):
        c.run("check", name, "--json")
    after, stats1 = cache_entries(c, until), c.stats()
    assert after == before, "the check changed the cache:\nadded %s\nremoved %s" % (
        sorted(set(after) - set(before)), sorted(set(before) - set(after)))
    assert stats1["cache.entries"] == stats0["cache.entries"]
    assert stats1["cache.evictions"] == stats0["cache.evictions"]
    out = c.ok("lookup", "www.propagation.com")
    assert ";; nothing cached at www.propagation.com." in out, out
    # ... and it used what the cache holds: the cached answer is shown.
    _, j, _ = check(c, "www.healthy.com")
    assert j["cache"]["cached"] is True and j["cache"]["differs"] is False, j["cache"]
    assert any("192.0.2.10" in r for r in j["cache"]["records"]), j["cache"]
    _, j, _ = check(c, "www.propagation.com")
    assert j["cache"]["cached"] is False, j["cache"]


# -- bad input -------------------------------------------------------------------------------------

@pytest.mark.parametrize("args,said", [
    (["bad..name"], "bad..name"),
    (["x" * 64 + ".com"], "x" * 64),  # a label of 64 octets
    (["www.healthy.com", "NOTATYPE"], "NOTATYPE"),
])
def test_bad_names_and_types(ctl, args, said):
    """A clear error that quotes what was wrong (not the usage text of an unknown command)."""
    p = ctl.run("check", *args)
    out = p.stdout + p.stderr
    assert p.returncode in (EXIT_ERROR, EXIT_USAGE), (p.returncode, out)
    assert said in out and "unknown command" not in out, out
    assert not p.stdout.strip(), "an error, yet something on stdout: %s" % p.stdout


def test_too_many_arguments_is_a_usage_error(ctl):
    p = ctl.run("check", "www.healthy.com", "A", "extra", "words")
    out = p.stdout + p.stderr
    assert p.returncode == EXIT_USAGE and "unknown command" not in out, (p.returncode, out)


def test_check_without_a_name_is_a_usage_error(ctl):
    p = ctl.run("check")
    out = p.stdout + p.stderr
    assert p.returncode == EXIT_USAGE and "unknown command" not in out, (p.returncode, out)


# -- trace --fresh ---------------------------------------------------------------------------------

def test_trace_fresh_names_the_servers_behind(ctl):
    out = ctl.ok("trace", "www.propagation.com", "--fresh")
    m = re.search(r"servers of propagation\.com\.? disagree on the SOA serial: (.*)", out)
    assert m, out
    line = m.group(1)
    for addr, serial in (("127.3.7.1", "2026120302"), ("127.3.7.2", "2026120302")):
        assert "%s %s" % (addr, serial) in line, line
    assert "127.3.7.3 2026120301 (behind)" in line, line
    # ... and a zone whose servers agree gets no such line
    out = ctl.ok("trace", "www.healthy.com", "--fresh")
    assert "disagree on the SOA serial" not in out, out


# -- the README's story: video-platform.com moves to new servers -----------------------------------

def test_story_moving_video_platform_to_new_servers(the_lab, start_ctl):
    c = start_ctl()
    # Before: the site at the old host, a resolver that has the address cached.
    assert dnsq.addrs(dnsq.ask(c.r.addr, VP, "A")) == [OLD_A]
    rc, j, _ = check(c, VP)
    assert rc == EXIT_OK and j["status"] == "ok", show(j)
    assert sorted(j["parent"]["ns"]) == OLD_NS and sorted(j["child_ns"]) == OLD_NS
    assert j["cache"]["cached"] is True and j["cache"]["differs"] is False, j["cache"]
    story = MoveStory(the_lab)
    try:
        # During: the new host serves the new version but ns2.newdns.net is behind, and com.
        # already delegates to the new host.
        new_serial = story.during()
        rc, j, _ = check(c, VP)
        assert sorted(j["parent"]["ns"]) == NEW_NS, show(j)
        assert {NEW_ADDRS[n] for n in NEW_NS} <= {s["address"] for s in j["servers"]}
        assert server(j, BEHIND_ADDR)["soa_serial"] == story.old_serial
        assert server(j, "127.3.9.1")["soa_serial"] == new_serial
        f = findings(j, "serial-mismatch")
        assert f and BEHIND_ADDR in f[0]["servers"] and "behind" in f[0]["text"], show(j)
        f = findings(j, "answer-mismatch")
        assert f and BEHIND_ADDR in f[0]["servers"], show(j)
        f = findings(j, "cache-differs")
        assert f and "rootwalk flush" in f[0]["text"], show(j)
        assert j["cache"]["differs"] is True and any(OLD_A in r for r in j["cache"]["records"])
        assert rc == EXIT_ERRORS and j["status"] == "errors"
        assert j["ttl"]["delegation_ttl"] == 172800
        # After: every server has the new version; this resolver still holds the old address
        # until its TTL runs out (a warning), and after a flush nothing is left to say.
        story.after()
        rc, j, _ = check(c, VP)
        assert not findings(j, "serial-mismatch") and not findings(j, "answer-mismatch"), show(j)
        assert findings(j, "cache-differs") and rc == EXIT_WARNINGS, show(j)
        assert {s["soa_serial"] for s in j["servers"]} == {new_serial}, show(j)
        c.ok("flush", VP)
        assert dnsq.addrs(dnsq.ask(c.r.addr, VP, "A")) == [NEW_A]
        rc, j, _ = check(c, VP)
        assert rc == EXIT_OK and j["status"] == "ok", show(j)
    finally:
        story.undo()
