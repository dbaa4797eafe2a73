"""Correct where the internet is messy (issue 10).

Each scenario is played by scripted servers (tests/faultserver.py, zones in zones/fault/) the
way real servers behave: sibling and parent-side glue, a server that errs once, a zone moved to
new servers, replies classified by content rather than by the AA bit, duplicate records, DNAME,
DS answered from the wrong side of a cut, a server that breaks on minimised questions, loopback
root hints with do-not-query-localhost, and a root that fails the priming query.

Every test checks the client's answer (rcode, records) and the time it took, on the resolver
under test (rootwalkd, or Unbound with LAB_RESOLVER=unbound: the reference), a bound on the
queries the scripted servers received (their query logs), and, for rootwalkd only, what its
JSON trace says. Each resolver is started cold for the test. A test collects every failed
check before it fails, so one run tells everything that is missing.
"""

import struct
import time

import dns.message
import dns.rcode
import pytest

from conftest import UNDER_TEST
from rwlab import dnsq, traces
from rwlab.dnsq import addrs, records, show
from rwlab.traces import brief, events, norm_name, nth, walk_events, walk_upstream

WAIT = 4.0  # seconds a client waits for any one answer here


def unbound_differs(why, strict=True):
    """Mark a test that Unbound, the reference, fails (why: what it does instead). Strict: if
    Unbound starts passing, the mark must go."""
    return pytest.mark.xfail(UNDER_TEST == "unbound", reason="Unbound " + why, strict=strict)


# -- helpers ------------------------------------------------------------------------------------
# The fixtures fault_tld and fault_servers (the scripted servers; for rootwalkd they also check
# that every send in the traces reached its server) are in conftest.py.

_unbound_addr = [10]


@pytest.fixture
def cold(the_lab, request):
    """Factory: a resolver of the kind under test with a cold cache, on its own address, stopped
    after the test. extra: more rootwalkd configuration (Unbound ignores it)."""
    started = []

    def start(extra=""):
        if UNDER_TEST == "unbound":
            _unbound_addr[0] += 1
            r = the_lab.start_unbound(addr="127.0.1.%d" % _unbound_addr[0])
            started.append(r)
            return r
        return request.getfixturevalue("start_rootwalkd")(extra=extra)

    yield start
    for r in started:
        r.stop()


class Checks:
    """Soft assertions: every failed check is collected; done() fails with all of them."""

    def __init__(self):
        self.failed = []

    def that(self, cond, msg):
        if not cond:
            self.failed.append(msg() if callable(msg) else msg)
        return bool(cond)

    def done(self):
        if self.failed:
            pytest.fail("%d check(s) failed:\n- %s" % (len(self.failed),
                                                       "\n- ".join(self.failed)), pytrace=False)


@pytest.fixture
def check():
    return Checks()


def is_rootwalkd(r):
    return r.kind == "rootwalkd"


def ask_t(r, qname, qtype="A", timeout=WAIT):
    """(reply or None after timeout s, seconds taken)."""
    return dnsq.ask_timed(r.addr, qname, qtype, timeout=timeout, none_on_timeout=True)


def answer_is(check, m, dt, rcode, want_addrs=None, limit_s=1.0, what=""):
    """rcode (and, with want_addrs, exactly those A records) within limit_s."""
    ok = check.that(m is not None and m.rcode() == rcode,
                    "%s: want %s, got %s after %.2f s" % (what, dns.rcode.to_text(rcode), show(m),
                                                          dt))
    if ok and want_addrs is not None:
        check.that(addrs(m) == sorted(want_addrs), "%s: want A %s, got %s" % (
            what, want_addrs, show(m)))
    if m is not None:
        check.that(dt < limit_s, "%s: answered after %.2f s (bound %.1f s)" % (what, dt, limit_s))
    return ok


def nodata_is(check, m, dt, limit_s=1.0, what=""):
    check.that(m is not None and m.rcode() == dns.rcode.NOERROR and not m.answer,
               "%s: want NOERROR with an empty answer (NODATA), got %s after %.2f s" % (
                   what, show(m), dt))
    if m is not None:
        check.that(dt < limit_s, "%s: answered after %.2f s (bound %.1f s)" % (what, dt, limit_s))


def ancount(r, qname, qtype="A"):
    """(ANCOUNT of the raw reply, parsed reply) for one UDP question, or (None, None)."""
    wire = dnsq.udp_exchange(r.addr, dnsq.make_query(qname, qtype).to_wire(), wait=WAIT)
    if wire is None or len(wire) < 12:
        return None, None
    return struct.unpack("!H", wire[6:8])[0], dns.message.from_wire(wire)


# -- glue -----------------------------------------------------------------------------------------

def test_sibling_glue(fault_servers, cold, check):
    """sibglue.fault is delegated to ns.sibhost.fault, a name in its sibling sibhost.fault; the
    referral from fault. carries its address (sibling glue, RFC 9471 2.2), while sibhost.fault's
    own server is silent, so looking the address up cannot work. With the glue it resolves at
    once, and nobody asks sibhost.fault's server."""
    fault_servers("127.9.16.1", "sibglue.fault.")
    sib = fault_servers("127.9.16.2", "sibhost.fault.", mode="silent")
    r = cold()
    m, dt = ask_t(r, "www.sibglue.fault.")
    answer_is(check, m, dt, dns.rcode.NOERROR, ["192.0.2.1"], 1.0, "www.sibglue.fault A")
    check.that(not sib.queries(), "the silent sibhost.fault server was asked %s: the sibling "
               "glue was not used" % sib.qnames())
    if is_rootwalkd(r):
        t = nth(r.trace_log, "www.sibglue.fault.", missing=None)
        subs = [e for e in events(t, "subresolve") if norm_name(e["qname"]) == "ns.sibhost.fault."]
        check.that(t and not subs, lambda: "trace: ns.sibhost.fault. looked up although the "
                   "referral carried its address:\n" + brief(t))
        check.that(t and walk_upstream(t) <= 4,
                   lambda: "trace: %s upstream queries (want <= 4)" % (t and walk_upstream(t)))
    check.done()


def test_root_referral_glue_for_com(the_lab, cold, check):
    """The lab itself: the root's referral to com. carries the address of a.gtld-servers.net.
    (a name under net.: sibling glue from the root zone). A cold query for a com. name uses it
    instead of looking the address up (today: step 1a, two extra queries)."""
    r = cold()
    m, dt = ask_t(r, "www.video-platform.com.")
    answer_is(check, m, dt, dns.rcode.NOERROR, ["203.0.113.42"], 1.0, "www.video-platform.com A")
    if is_rootwalkd(r):
        t = nth(r.trace_log, "www.video-platform.com.", missing=None)
        subs = [e for e in events(t, "subresolve")
                if norm_name(e["qname"]) == "a.gtld-servers.net."]
        check.that(t and not subs, lambda: "trace: a.gtld-servers.net. looked up although the "
                   "root's referral carried its address:\n" + brief(t))
        check.that(t and walk_upstream(t) <= 6,
                   lambda: "trace: %s upstream queries (want <= 6)" % (t and walk_upstream(t)))
    check.done()


@unbound_differs("keeps retrying the silent child-side address and asks the parent again only "
                 "after its retries run out (about 17 s; the client gave up long before)")
def test_parent_side_glue_fallback(fault_servers, cold, check):
    """pglue.fault: the glue in fault. says ns.pglue.fault is 127.9.17.1 (answers); the child
    zone says 127.9.17.2 (silent). Once the child's address is known (the client asked for it),
    a question in the zone meets the silent address first; the parent-side address is then
    tried and the name resolves, within 3 s."""
    child_addr = ["ns.pglue.fault. 300 IN A 127.9.17.2"]
    x = fault_servers("127.9.17.1", "pglue.fault.", add=child_addr)
    y = fault_servers("127.9.17.2", "pglue.fault.", mode="silent", add=child_addr)
    r = cold()
    m, dt = ask_t(r, "ns.pglue.fault.")
    answer_is(check, m, dt, dns.rcode.NOERROR, ["127.9.17.2"], 1.0,
              "ns.pglue.fault A (the child's address)")
    mx, my = x.mark(), y.mark()
    m, dt = ask_t(r, "www.pglue.fault.", timeout=5.0)
    answer_is(check, m, dt, dns.rcode.NOERROR, ["192.0.2.1"], 3.0,
              "www.pglue.fault A (child-side address silent)")
    check.that(1 <= len(x.queries(mx)) <= 3,
               "parent-side address 127.9.17.1 got %s (want 1 to 3)" % x.qnames(mx))
    check.that(len(y.queries(my)) <= 3,
               "silent child-side address 127.9.17.2 got %s (want <= 3)" % y.qnames(my))
    if is_rootwalkd(r):
        t = nth(r.trace_log, "www.pglue.fault.", missing=None)
        check.that(events(t, "timeout", addr="127.9.17.2"),
                   lambda: "trace: no timeout from the child-side address:\n" + brief(t))
        sends = events(t, "send", addr="127.9.17.1")
        check.that(sends and sends[-1].get("parent_glue") is True,
                   lambda: "trace: no send to 127.9.17.1 marked parent_glue:\n%s\n%s" % (
                       brief(t), sends))
    check.done()


# -- failing vs lame servers ----------------------------------------------------------------------

@pytest.mark.parametrize("rcode", ["SERVFAIL", "REFUSED"])
def test_one_error_is_not_lameness(fault_servers, cold, check, rcode):
    """erronce.fault's only server answers the first query it gets with SERVFAIL (or REFUSED),
    then normally. The first question may fail; the next one, a moment later, about another
    name in the zone, is asked and answered: one error does not mark the server lame for the
    zone for infra-ttl (today: 15 minutes of SERVFAIL)."""
    srv = fault_servers("127.9.18.1", "erronce.fault.", fail_first=1, fail_rcode=rcode)
    r = cold()
    m1, dt1 = ask_t(r, "www.erronce.fault.")
    check.that(m1 is not None and m1.rcode() in (dns.rcode.NOERROR, dns.rcode.SERVFAIL)
               and dt1 < 2.0, "first question: %s after %.2f s" % (show(m1), dt1))
    if m1 is not None and m1.rcode() == dns.rcode.NOERROR:
        check.that(addrs(m1) == ["192.0.2.1"], "first question: %s" % show(m1))
    time.sleep(0.2)
    mark = srv.mark()
    m2, dt2 = ask_t(r, "alias.erronce.fault.")
    answer_is(check, m2, dt2, dns.rcode.NOERROR, ["192.0.2.1"], 1.0,
              "second question (after one %s)" % rcode)
    check.that(1 <= len(srv.queries(mark)) <= 2,
               "second question: the server got %s (want 1 or 2)" % srv.qnames(mark))
    check.that(len(srv.queries()) <= 5, "%d queries in all: %s" % (len(srv.queries()),
                                                                   srv.qnames()))
    if is_rootwalkd(r):
        t = nth(r.trace_log, "www.erronce.fault.", missing=None)
        bad = [e for e in events(t, "reply") if e.get("rcode") == rcode]
        check.that(bad and bad[0]["kind"] == "failed",
                   lambda: "trace: the %s reply should be kind 'failed' (skipped for this "
                   "query, not lame):\n%s" % (rcode, brief(t)))
    check.done()


@unbound_differs("takes an empty NOERROR without AA (and without RA) as NODATA, not as lame")
def test_lame_server_remembered(fault_servers, cold, check):
    """lamena.fault's only server is not authoritative (NOERROR, no AA, nothing): SERVFAIL, and
    the next question about the zone within seconds does not ask it again."""
    srv = fault_servers("127.9.25.1", "lamena.fault.", mode="lame")
    r = cold()
    m, dt = ask_t(r, "www.lamena.fault.")
    answer_is(check, m, dt, dns.rcode.SERVFAIL, None, 1.5, "www.lamena.fault A")
    check.that(1 <= len(srv.queries()) <= 2, "lame server asked %s" % srv.qnames())
    time.sleep(0.5)
    mark = srv.mark()
    m, dt = ask_t(r, "other.lamena.fault.")
    answer_is(check, m, dt, dns.rcode.SERVFAIL, None, 1.5, "other.lamena.fault A")
    check.that(not srv.queries(mark), "the lame server was asked again: %s" % srv.qnames(mark))
    if is_rootwalkd(r):
        t = nth(r.trace_log, "www.lamena.fault.", missing=None)
        lame = events(t, "reply", kind="lame")
        check.that(lame and lame[0].get("reason"), lambda: "trace: no lame reply explained:\n"
                   + brief(t))
    check.done()


def test_zone_moved_parent_asked_again(fault_servers, cold, check):
    """z.movep.fault is delegated by movep.fault to ns1/ns2.z.movep.fault; the resolver caches
    that NS set (TTL 3600) with a first question. Then the zone moves: movep.fault delegates it
    to ns.newhost.movep.fault, and the old servers answer REFUSED. A new question in the zone
    is answered by the new server at once: when every server of a cached cut fails, the
    parent is asked again."""
    old_deleg = ["z.movep.fault. 3600 IN NS ns1.z.movep.fault.",
                 "z.movep.fault. 3600 IN NS ns2.z.movep.fault.",
                 "ns1.z.movep.fault. 3600 IN A 127.9.19.2",
                 "ns2.z.movep.fault. 3600 IN A 127.9.19.3"]
    new_deleg = {"remove": ["z.movep.fault. NS", "ns1.z.movep.fault. A", "ns2.z.movep.fault. A"],
                 "add": ["z.movep.fault. 3600 IN NS ns.newhost.movep.fault.",
                         "ns.newhost.movep.fault. 3600 IN A 127.9.19.4"]}
    parent = fault_servers("127.9.19.1", "movep.fault.", add=old_deleg, then=new_deleg)
    old = [fault_servers(a, "z.movep.fault.", then={"mode": "refused"})
           for a in ("127.9.19.2", "127.9.19.3")]
    new = fault_servers("127.9.19.4", "z.movep.fault.",
                        add=["new.z.movep.fault. 300 IN A 192.0.2.77"])
    r = cold()
    m, dt = ask_t(r, "www.z.movep.fault.")
    answer_is(check, m, dt, dns.rcode.NOERROR, ["192.0.2.1"], 1.0, "before the move")
    for fs in [parent] + old:
        fs.switch()
    marks = [fs.mark() for fs in [parent] + old]
    m, dt = ask_t(r, "new.z.movep.fault.")
    answer_is(check, m, dt, dns.rcode.NOERROR, ["192.0.2.77"], 2.0,
              "new.z.movep.fault A after the move")
    check.that(len(new.queries()) >= 1, "the new server was never asked")
    check.that(1 <= len(parent.queries(marks[0])) <= 3,
               "after the move the parent got %s (want 1 to 3)" % parent.qnames(marks[0]))
    # Unbound asks each REFUSED old server 5 times before it asks the parent again.
    bound = 2 if is_rootwalkd(r) else 5
    for fs, mk in zip(old, marks[1:]):
        check.that(len(fs.queries(mk)) <= bound, "old server %s got %s after the move" % (
            fs.addr, fs.qnames(mk)))
    if is_rootwalkd(r):
        t = nth(r.trace_log, "new.z.movep.fault.", missing=None)
        re = events(t, "reask")
        check.that(re and norm_name(re[0].get("zone", "")) == "z.movep.fault."
                   and norm_name(re[0].get("parent", "")) == "movep.fault."
                   and re[0].get("reason"),
                   lambda: "trace: no reask event {zone z.movep.fault., parent movep.fault., "
                   "reason}:\n" + brief(t))
    check.done()


# -- replies classified by content ---------------------------------------------------------------

def test_nodata_without_aa(fault_servers, cold, check):
    """cls.fault's server answers NODATA (empty answer, the zone's SOA) without the AA bit: it
    is NODATA all the same (RFC 2308 2.2), not lameness: NOERROR, and cached."""
    srv = fault_servers("127.9.20.1", "cls.fault.", nodata="noaa")
    r = cold()
    m, dt = ask_t(r, "www.cls.fault.", "TXT")
    nodata_is(check, m, dt, 1.0, "www.cls.fault TXT (NODATA, no AA)")
    check.that(len(srv.queries()) <= 2, "server asked %s" % srv.qnames())
    mark = srv.mark()
    m, dt = ask_t(r, "www.cls.fault.", "TXT")
    nodata_is(check, m, dt, 0.5, "the same again")
    check.that(not srv.queries(mark), "NODATA not cached: asked again %s" % srv.qnames(mark))
    if is_rootwalkd(r):
        t = nth(r.trace_log, "www.cls.fault.", "TXT", missing=None)
        check.that(events(t, "reply", kind="nodata"),
                   lambda: "trace: no nodata reply:\n" + brief(t))
        neg = events(t, "negative")
        check.that(neg and neg[0].get("soa"), lambda: "trace: no negative event with the SOA:\n"
                   + brief(t))
    check.done()


def test_referral_with_aa(fault_servers, cold, check):
    """cls.fault's server sets AA on its referral to sub.cls.fault: NS records below the cut
    are a referral whatever the AA bit says; the client gets sub.cls.fault's answer."""
    srv = fault_servers("127.9.20.1", "cls.fault.", referral_aa=True,
                        add=["sub.cls.fault. 300 IN NS ns.sub.cls.fault.",
                             "ns.sub.cls.fault. 300 IN A 127.9.20.2"])
    sub = fault_servers("127.9.20.2", "sub.cls.fault.")
    r = cold()
    m, dt = ask_t(r, "www.sub.cls.fault.")
    answer_is(check, m, dt, dns.rcode.NOERROR, ["192.0.2.1"], 1.0, "www.sub.cls.fault A")
    check.that(sub.queries(), "sub.cls.fault's server was never asked (the AA referral was "
               "not followed)")
    check.that(len(srv.queries()) <= 3, "cls.fault's server asked %s" % srv.qnames())
    if is_rootwalkd(r):
        t = nth(r.trace_log, "www.sub.cls.fault.", missing=None)
        ref = [e for e in events(t, "reply", kind="referral")
               if norm_name(e.get("to_zone", "")) == "sub.cls.fault."]
        check.that(ref and ref[0]["aa"] is True,
                   lambda: "trace: no referral to sub.cls.fault. from an AA reply:\n" + brief(t))
    check.done()


def test_nodata_apex_ns_no_soa(fault_servers, cold, check):
    """An AA reply with an empty answer and the zone's own apex NS set in authority (no SOA):
    NODATA, not a referral and not lame."""
    srv = fault_servers("127.9.20.1", "cls.fault.", nodata="apex-ns")
    r = cold()
    m, dt = ask_t(r, "www.cls.fault.", "TXT")
    nodata_is(check, m, dt, 1.0, "www.cls.fault TXT (NODATA with apex NS)")
    check.that(len(srv.queries()) <= 2, "server asked %s" % srv.qnames())
    if is_rootwalkd(r):
        t = nth(r.trace_log, "www.cls.fault.", "TXT", missing=None)
        check.that(events(t, "reply", kind="nodata"),
                   lambda: "trace: no nodata reply:\n" + brief(t))
    check.done()


def test_nodata_without_soa_cached_briefly(fault_servers, cold, check):
    """An AA reply with nothing at all (no SOA): NODATA, cached for at most 5 s (as Unbound
    and Knot Resolver do): asked again at once it comes from the cache, 6 s later the server
    is asked again."""
    srv = fault_servers("127.9.20.1", "cls.fault.", nodata="empty")
    r = cold()
    t0 = time.monotonic()
    m, dt = ask_t(r, "www.cls.fault.", "TXT")
    nodata_is(check, m, dt, 1.0, "www.cls.fault TXT (NODATA without SOA)")
    first = len(srv.queries())
    check.that(1 <= first <= 2, "server asked %s" % srv.qnames())
    m, dt = ask_t(r, "www.cls.fault.", "TXT")
    nodata_is(check, m, dt, 0.5, "asked again at once")
    check.that(len(srv.queries()) == first,
               "asked again at once: not from the cache, the server got %s" % srv.qnames(first))
    time.sleep(max(0.0, 6.0 - (time.monotonic() - t0)))
    mark = srv.mark()
    m, dt = ask_t(r, "www.cls.fault.", "TXT")
    nodata_is(check, m, dt, 1.0, "asked 6 s later")
    check.that(len(srv.queries(mark)) >= 1, "6 s later the server was not asked again: cached "
               "for more than 5 s")
    if is_rootwalkd(r):
        t = nth(r.trace_log, "www.cls.fault.", "TXT", missing=None)
        neg = events(t, "negative")
        check.that(neg and neg[0].get("soa", "missing") is None and int(neg[0]["ttl"]) <= 5,
                   lambda: "trace: want a negative event with soa null and ttl <= 5: %s\n%s" % (
                       neg, brief(t)))
    check.done()


# -- records --------------------------------------------------------------------------------------

@unbound_differs("passes duplicate records on to the client (ANCOUNT 3 and 2)")
def test_duplicate_records_merged(fault_servers, cold, check):
    """dup.fault's server lists every answer RRset twice: the client gets each record once
    (RRsets are sets, RFC 2181 5), fetched or from the cache."""
    srv = fault_servers("127.9.21.1", "dup.fault.", dup_answer=True)
    r = cold()
    for attempt in ("fetched", "cached"):
        n, m = ancount(r, "alias.dup.fault.")
        check.that(m is not None and m.rcode() == dns.rcode.NOERROR and n == 2 and
                   records(m) == [("alias.dup.fault.", "CNAME", "www.dup.fault."),
                                  ("www.dup.fault.", "A", "192.0.2.1")],
                   "alias.dup.fault A (%s): want ANCOUNT 2 (CNAME, A), got %s: %s" % (
                       attempt, n, show(m)))
        n, m = ancount(r, "www.dup.fault.", "AAAA")
        check.that(m is not None and n == 1, "www.dup.fault AAAA (%s): want ANCOUNT 1, got %s: "
                   "%s" % (attempt, n, show(m)))
    check.that(len(srv.queries()) <= 3, "server asked %s" % srv.qnames())
    check.done()


LONG_TARGET = ".".join(["a" * 63, "b" * 63, "c" * 63]) + ".dtarget.fault."
LONG_QNAME = "q" * 63 + "." + "r" * 40 + ".long.dname.fault."  # 123 octets, 312 once rewritten


DNAME_WWW = [("sub.dname.fault.", "DNAME", "dtarget.fault."),
             ("www.sub.dname.fault.", "CNAME", "www.dtarget.fault."),
             ("www.dtarget.fault.", "A", "192.0.2.1")]


@pytest.fixture
def dname_servers(fault_servers):
    """dname.fault (127.9.22.1) holds sub DNAME dtarget.fault. and long DNAME LONG_TARGET;
    dtarget.fault is on 127.9.22.2."""
    dn = fault_servers("127.9.22.1", "dname.fault.",
                       add=["sub.dname.fault. 300 IN DNAME dtarget.fault.",
                            "long.dname.fault. 300 IN DNAME " + LONG_TARGET])
    return dn, fault_servers("127.9.22.2", "dtarget.fault.")


def dname_www(check, r):
    m, dt = ask_t(r, "www.sub.dname.fault.")
    check.that(m is not None and m.rcode() == dns.rcode.NOERROR and records(m) == DNAME_WWW and
               dt < 1.0, "www.sub.dname.fault A: want %s, got %s after %.2f s" % (
                   DNAME_WWW, show(m), dt))


def test_dname(dname_servers, cold, check):
    """dname.fault holds sub DNAME dtarget.fault. (RFC 6672): the answer lists the DNAME
    before the CNAME synthesised from it, then the target's records. A name whose rewrite
    would exceed 255 octets gets YXDOMAIN with the DNAME (RFC 6672 2.2), not SERVFAIL."""
    dn, tgt = dname_servers
    r = cold()
    dname_www(check, r)
    m, dt = ask_t(r, LONG_QNAME)
    check.that(m is not None and m.rcode() == dns.rcode.YXDOMAIN and
               ("long.dname.fault.", "DNAME", LONG_TARGET) in records(m) and dt < 1.0,
               "overlong rewrite: want YXDOMAIN with the DNAME, got %s after %.2f s" % (
                   show(m), dt))
    check.that(len(dn.queries()) <= 5 and len(tgt.queries()) <= 2,
               "queries: dname.fault %s, dtarget.fault %s" % (dn.qnames(), tgt.qnames()))
    if is_rootwalkd(r):
        t = nth(r.trace_log, "www.sub.dname.fault.", missing=None)
        check.that(events(t, "reply", kind="dname"), lambda: "trace: no dname reply:\n" + brief(t))
    check.done()


@unbound_differs("does not synthesise from a cached DNAME without DNSSEC validation: it asks "
                 "dname.fault's server again")
def test_dname_synthesised_from_cache(dname_servers, cold, check):
    """Once sub.dname.fault DNAME dtarget.fault. is cached, another name below it is rewritten
    from the cache (RFC 6672 3.4): dname.fault's server is not asked."""
    dn, tgt = dname_servers
    r = cold()
    dname_www(check, r)
    mark = dn.mark()
    m, dt = ask_t(r, "alias.sub.dname.fault.")
    want = [("sub.dname.fault.", "DNAME", "dtarget.fault."),
            ("alias.sub.dname.fault.", "CNAME", "alias.dtarget.fault."),
            ("alias.dtarget.fault.", "CNAME", "www.dtarget.fault."),
            ("www.dtarget.fault.", "A", "192.0.2.1")]
    check.that(m is not None and m.rcode() == dns.rcode.NOERROR and records(m) == want and
               dt < 1.0, "alias.sub.dname.fault A: want %s, got %s after %.2f s" % (
                   want, show(m), dt))
    check.that(not dn.queries(mark), "a name below the cached DNAME: dname.fault's server was "
               "asked %s" % dn.qnames(mark))
    check.that(len(tgt.queries(0)) <= 2, "dtarget.fault asked %s" % tgt.qnames())
    if is_rootwalkd(r):
        t = nth(r.trace_log, "alias.sub.dname.fault.", missing=None)
        check.that(t and not events(t, "send", addr="127.9.22.1"),
                   lambda: "trace: the DNAME's server asked for a name below a cached DNAME:\n"
                   + brief(t))
    check.done()


@unbound_differs("accepts the child's NODATA for DS when the child is one label below the cut "
                 "(iter_ds_toolow/iter_dp_cangodown), whenever it asks 127.9.23.2 first "
                 "(at random)", strict=False)
def test_ds_from_the_parent(fault_servers, cold, check):
    """dsparent.fault has two servers: 127.9.23.1 serves only the parent, 127.9.23.2 serves the
    parent and the child dsc.dsparent.fault and answers 'dsc.dsparent.fault DS' from the child's
    apex (NODATA with the child's SOA). DS lives at the parent: the client gets the DS record.
    127.9.23.1's name is in the sibling zone dsphost.fault, so a resolver that uses only glue
    inside the delegated zone asks 127.9.23.2 first."""
    parent = fault_servers("127.9.23.1", {"dsparent.fault.": "dsparent.zone",
                                          "dsphost.fault.": None},
                           add=["ns.dsphost.fault. 300 IN A 127.9.23.1"])
    both = fault_servers("127.9.23.2", {"dsparent.fault.": "dsparent.zone",
                                        "dsc.dsparent.fault.": None}, ds_from_child=True)
    r = cold()
    m, dt = ask_t(r, "dsc.dsparent.fault.", "DS")
    ds = records(m, "DS")
    check.that(m is not None and m.rcode() == dns.rcode.NOERROR and len(ds) == 1 and
               ds[0][2].startswith("12345 13 2 abab") and dt < 1.5,
               "dsc.dsparent.fault DS: want the parent's DS, got %s after %.2f s" % (show(m), dt))
    sent = [q for fs in (parent, both) for q in fs.queries() if q["qtype"] == "DS"]
    check.that(len(sent) <= 3, "DS queries to dsparent.fault's servers: %s" % sent)
    if is_rootwalkd(r):
        t = nth(r.trace_log, "dsc.dsparent.fault.", "DS", missing=None)
        check.that(not walk_events(t, "negative"), lambda: "trace: the child's NODATA for DS was "
                   "taken as the answer:\n" + brief(t))
    check.done()


# -- QNAME minimisation, hints, priming -----------------------------------------------------------

def test_qmin_servfail_then_full_name(fault_servers, cold, check):
    """qminsf.fault's server answers SERVFAIL for empty non-terminals (c.qminsf.fault,
    b.c.qminsf.fault), so a minimised question fails; asked the full name, it answers.
    After the SERVFAIL to a minimised question the server is asked the full name, once
    (Unbound's relaxed mode)."""
    srv = fault_servers("127.9.24.1", "qminsf.fault.", mode="ent-servfail")
    r = cold(extra="qname-minimisation: yes\n")
    full = "a.b.c.qminsf.fault."
    m, dt = ask_t(r, full)
    answer_is(check, m, dt, dns.rcode.NOERROR, ["192.0.2.3"], 1.5, full + " A")
    got = srv.qnames()
    short = [i for i, (n, _) in enumerate(got) if n != full]
    check.that(short, "no minimised question reached the server: %s" % got)
    if short:
        after = [n for n, _ in got[short[0] + 1:] if n == full]
        check.that(len(after) == 1, "after the SERVFAIL to %s the full name was asked %d "
                   "times: %s" % (got[short[0]][0], len(after), got))
    check.that(len(got) <= 4, "server asked %s" % got)
    if is_rootwalkd(r):
        t = nth(r.trace_log, full, missing=None)
        fb = events(t, "reply", kind="qmin-fallback")
        check.that(fb and "SERVFAIL" in fb[0].get("reason", ""),
                   lambda: "trace: no qmin-fallback reply naming SERVFAIL:\n" + brief(t))
    check.done()


def test_do_not_query_localhost_keeps_hints(the_lab, start_rootwalkd, check):
    """do-not-query-localhost: yes filters addresses learned from replies, not the root hints
    the operator configured (as Knot Resolver): the lab's hints name 127.1.0.x, so priming
    and '. SOA' work; a name under com. (whose server, 127.2.0.1, came from a reply) fails.
    (rootwalkd only: the lab starts Unbound with its own fixed configuration.)"""
    r = start_rootwalkd(extra="do-not-query-localhost: yes\n")
    m, dt = ask_t(r, ".", "SOA")
    check.that(m is not None and m.rcode() == dns.rcode.NOERROR and records(m, "SOA"),
               ". SOA: want NOERROR with the root's SOA, got %s" % show(m))
    m, dt = ask_t(r, "www.video-platform.com.")
    answer_is(check, m, dt, dns.rcode.SERVFAIL, None, 2.0, "www.video-platform.com A")
    prim = [t for t in traces.wait_trace(r.trace_log, ".", "NS")
            if t[0].get("proto") == "internal"]
    check.that(prim and events(prim[0], "send") and
               all(e["addr"].startswith("127.1.0.") for e in events(prim[0], "send")) and
               prim[0][-1].get("rcode") == "NOERROR",
               lambda: "trace: the priming should ask the hints' 127.1.0.x and succeed:\n%s" % (
                   brief(prim[0]) if prim else "(no priming trace)"))
    t = nth(r.trace_log, "www.video-platform.com.", missing=None)
    check.that(t and not [e for e in events(t, "send") if not e["addr"].startswith("127.1.0.")],
               lambda: "trace: a loopback server learned from a reply was asked:\n" + brief(t))
    check.done()


PRIME_ROOT = "127.9.26.1"


@pytest.fixture
def prime_root(the_lab, fault_servers, tmp_path):
    """Factory: start(**scenario) starts the only root server of a private root
    (zones/fault/primeroot.zone, the lab's delegations) at 127.9.26.1 with that scenario, and
    returns (server, path of root hints that name it)."""
    hints = tmp_path / "root.hints"
    hints.write_text(".                     3600000 NS ns.primeroot.fault.\n"
                     "ns.primeroot.fault.   3600000 A  %s\n" % PRIME_ROOT)

    def start(**scenario):
        return fault_servers(PRIME_ROOT, {".": "primeroot.zone"}, **scenario), str(hints)
    return start


def priming_traces(r, last):
    """The priming traces written so far, once the trace of the last question asked (qname
    last, type A) is in the log: traces are written in batches, in order."""
    nth(r.trace_log, last, missing=None)
    return [t for t in traces.traces_for(r.trace_log, ".", "NS")
            if t[0].get("proto") == "internal"]


def prime_ns(fs):
    return [q for q in fs.queries() if q["qname"] == "." and q["qtype"] == "NS"]


def priming_failure_logged(check, r):
    lines = [l for l in r.stderr().lower().splitlines() if "priming" in l and "fail" in l]
    check.that(lines, "the failed priming was not logged: %s" % r.stderr()[-1500:])


def test_priming_after_one_root_error(prime_root, start_rootwalkd, check):
    """The only root server answers SERVFAIL to the first query (the priming) and normally
    afterwards: the priming is tried again (after 1 s) instead of the root server being lame
    for 15 minutes; client questions are answered. (rootwalkd only.)"""
    root, hints = prime_root(fail_first=1, fail_rcode="SERVFAIL")
    r = start_rootwalkd(root_hints=hints)
    time.sleep(0.2)
    m, dt = ask_t(r, "www.video-platform.com.")
    answer_is(check, m, dt, dns.rcode.NOERROR, ["203.0.113.42"], 3.0,
              "www.video-platform.com A after a failed priming")
    time.sleep(max(0.0, 2.5 - dt))
    m, dt = ask_t(r, "www.example.org.")
    check.that(m is not None and m.rcode() == dns.rcode.NOERROR and dt < 1.0,
               "www.example.org A: %s after %.2f s" % (show(m), dt))
    prim = priming_traces(r, "www.example.org.")
    check.that(len(prim) >= 2 and prim[-1][-1].get("rcode") == "NOERROR",
               lambda: "want a failed priming then a successful one; traces:\n%s" % "\n--\n".join(
                   brief(t) for t in prim))
    check.that(len(prime_ns(root)) <= 3, "'. NS' sent %d times" % len(prime_ns(root)))
    priming_failure_logged(check, r)
    check.done()


def test_priming_retried_on_a_timer(prime_root, start_rootwalkd, check):
    """The only root server never answers '. NS' (it answers everything else). Questions for
    names under new TLDs go from the root hints and are answered (NXDOMAIN from the root); the
    failed priming is retried on a timer (1 s, doubling), not once more after every answer
    that fell back to the hints. (rootwalkd only.)"""
    root, hints = prime_root(fail_first=1000, fail_rcode="silent",
                             fail_match={"qname": ".", "qtype": "NS"})
    r = start_rootwalkd(root_hints=hints)
    t0 = time.monotonic()
    for i in range(8):
        m, dt = ask_t(r, "www.tld%d." % i)
        # A question may wait for a priming in progress, for a bounded time (<= 1.5 s).
        check.that(m is not None and m.rcode() == dns.rcode.NXDOMAIN and dt < 2.5,
                   "www.tld%d. A: want NXDOMAIN, got %s after %.2f s" % (i, show(m), dt))
        time.sleep(0.3)
    elapsed = time.monotonic() - t0
    prim = priming_traces(r, "www.tld7.")
    starts = sorted(traces.parse_iso(t[0]["time"]) for t in prim)
    check.that(prim, "no priming trace")
    # In `elapsed` s, a 1 s timer doubling gives at most the first priming and 1 + log2 retries.
    bound = 2 + int(elapsed).bit_length()
    check.that(len(prim) <= bound, "%d primings in %.1f s (want <= %d, on a timer): started at "
               "%s" % (len(prim), elapsed, bound, [round(s - starts[0], 2) for s in starts]))
    gaps = [b - a for a, b in zip(starts, starts[1:])]
    check.that(all(g >= 0.9 for g in gaps), "primings %s s apart (want >= 1 s)" % [
        round(g, 2) for g in gaps])
    check.that(len(prime_ns(root)) <= 3 * bound, "'. NS' sent %d times" % len(prime_ns(root)))
    priming_failure_logged(check, r)
    check.done()
