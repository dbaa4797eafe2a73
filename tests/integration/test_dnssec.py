"""DNSSEC validation in the signed lab (zones/dnssec.conf; the zones of ns.dnssec-lab.net).

The lab signs itself at every start (scripts/rwlab/signing.py) and writes its trust anchor to
the_lab.trust_anchor (the root's DS, zone-file format); the lab's rootwalkd configuration names it
in trust-anchor-file (Lab.rootwalkd_dnssec). Each case below asks the resolver under test with
EDNS and DO=1 and checks rcode, AD, the answer records and the Extended DNS Error (RFC 8914)
against what the RFCs say:

  secure                     NOERROR (or NXDOMAIN), AD, RRSIGs with the answer (RFC 4035 3.2.1),
                             NSEC/NSEC3 in the authority section of a denial and of a wildcard
                             answer (RFC 4035 3.1.3); no DNSSEC EDE
  bogus                      SERVFAIL without answer (RFC 4035 5.5), EDE 6 (bogus), 7 (signature
                             expired), 8 (not yet valid), 9 (DNSKEY missing: the DS matches no
                             key), 10 (RRSIGs missing) or 12 (NSEC missing)
  only unsupported algorithm NOERROR without AD: insecure (RFC 4035 5.2, RFC 6840 5.2); EDE 1
   or digest type            or 2 allowed
  NSEC3, 200 iterations      a denial is insecure (RFC 9276 3.2): no AD, EDE 27 (rootwalkd)
  unsigned delegation        NOERROR without AD (the signed parent proves there is no DS)
  CNAME signed -> unsigned   NOERROR without AD (the answer is only as secure as its last part)
  CD=1 on a bogus name       the data, without AD (RFC 4035 3.2.2, RFC 6840 5.9)

LAB_RESOLVER=unbound asks a validating Unbound instead of rootwalkd (with the lab anchor, see
resolvers.unbound_conf): that checks the lab and the expectations against a reference; where
Unbound 1.17 does not do what the RFCs ask, the case is marked with unbound_differs (an xfail for
Unbound only). test_same_as_validating_unbound asks both, and delv (BIND's validating client)
checks the chain of trust that the resolver hands out.
"""

import os
import subprocess

import dns.flags
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

from conftest import UNDER_TEST
from rwlab import dnsq, zonefiles
from rwlab.dnsq import rrsets, show_rrsets

VALIDATING_UNBOUND = "127.0.0.56"   # the reference for test_same_as_validating_unbound
SECOND_UNBOUND = "127.0.0.57"       # with LAB_RESOLVER=unbound: compared with the first
UNDER_TEST_UNBOUND = "127.0.0.58"   # with LAB_RESOLVER=unbound: the resolver under test
WAIT = 5.0                          # seconds one answer may take (a cold chain of trust)
DNSSEC_EDE = {1, 2, 5, 6, 7, 8, 9, 10, 11, 12, 27}  # the EDE codes (RFC 8914, 9276) compared


def unbound_differs(why):
    """A case that Unbound 1.17, the reference, fails (why: what it does instead)."""
    return pytest.mark.xfail(UNDER_TEST == "unbound", reason="Unbound " + why, strict=True)


class Case:
    """One question and what the RFCs say a validating resolver answers.

    rcode; ad; answer: the answer's records other than RRSIG as {(owner, type, rdata)}, or None
    (not checked: a SERVFAIL has none); ede: the EDE info-code it must carry, or None (no
    DNSSEC EDE); ede_ok: codes it may carry besides; signed: each answer RRset comes with its
    RRSIG; denial: "NSEC" or "NSEC3" records (and their RRSIGs) in the authority section; cd:
    ask with CD=1; why: what the case shows."""

    def __init__(self, qname, qtype, rcode, ad, answer=None, ede=None, ede_ok=(), signed=False,
                 denial=None, cd=False, why=""):
        self.qname, self.qtype = qname, qtype
        self.rcode, self.ad, self.answer = rcode, ad, answer
        self.ede, self.ede_ok = ede, set(ede_ok)
        self.signed, self.denial, self.cd = signed, denial, cd
        self.why = why

    @property
    def id(self):
        return "%s/%s%s" % (self.qname, self.qtype, "/cd" if self.cd else "")


NOERROR, NXDOMAIN, SERVFAIL = dns.rcode.NOERROR, dns.rcode.NXDOMAIN, dns.rcode.SERVFAIL


def a(owner, *addrs):
    return {(owner, "A", x) for x in addrs}


CASES = [
    # Secure, NSEC (ECDSAP256SHA256) and NSEC3 (ED25519).
    Case("www.secure-nsec.com.", "A", NOERROR, True, a("www.secure-nsec.com.", "192.0.2.10"),
         signed=True, why="secure data, NSEC zone"),
    Case("www.secure-nsec3.net.", "A", NOERROR, True, a("www.secure-nsec3.net.", "192.0.2.20"),
         signed=True, why="secure data, NSEC3 zone"),
    Case("www.video-platform.com.", "A", NOERROR, True,
         {("www.video-platform.com.", "CNAME", "video-platform.com.")} |
         a("video-platform.com.", "203.0.113.42"), signed=True,
         why="the story: a secure CNAME and its secure target"),
    Case("secure-nsec.com.", "DS", NOERROR, True, None, signed=True,
         why="a DS answered by the signed parent"),
    # Denial of existence in signed zones.
    Case("nope.secure-nsec.com.", "A", NXDOMAIN, True, set(), denial="NSEC",
         why="NXDOMAIN proven by NSEC"),
    Case("nope.secure-nsec3.net.", "A", NXDOMAIN, True, set(), denial="NSEC3",
         why="NXDOMAIN proven by NSEC3 (closest encloser, next closer, wildcard)"),
    Case("www.secure-nsec.com.", "TXT", NOERROR, True, set(), denial="NSEC",
         why="NODATA proven by NSEC"),
    Case("www.secure-nsec3.net.", "TXT", NOERROR, True, set(), denial="NSEC3",
         why="NODATA proven by NSEC3"),
    Case("nope-tld.", "A", NXDOMAIN, True, set(), denial="NSEC",
         why="NXDOMAIN from the signed root"),
    Case("nope.com.", "A", NXDOMAIN, False, set(), denial="NSEC3",
         why="NXDOMAIN in com., whose NSEC3 records are opt-out: the name could be an unsigned "
             "delegation, so the denial is insecure (RFC 5155 9.2)"),
    # Wildcards: the expansion is secure with a proof that the name itself does not exist.
    Case("anything.wild.secure-nsec.com.", "A", NOERROR, True,
         a("anything.wild.secure-nsec.com.", "192.0.2.11"), signed=True, denial="NSEC",
         why="wildcard expansion, NSEC proof"),
    Case("anything.wild.secure-nsec3.net.", "A", NOERROR, True,
         a("anything.wild.secure-nsec3.net.", "192.0.2.21"), signed=True, denial="NSEC3",
         why="wildcard expansion, NSEC3 proof"),
    # Insecure.
    Case("www.unsigned.com.", "A", NOERROR, False, a("www.unsigned.com.", "192.0.2.39"),
         why="unsigned delegation under the signed (NSEC3 opt-out) com."),
    Case("www.example.net.", "A", NOERROR, False, a("www.example.net.", "192.0.2.100"),
         why="unsigned delegation under the signed (NSEC) net."),
    Case("to-unsigned.secure-nsec.com.", "A", NOERROR, False,
         {("to-unsigned.secure-nsec.com.", "CNAME", "www.unsigned.com.")} |
         a("www.unsigned.com.", "192.0.2.39"),
         why="a secure CNAME into an unsigned zone: the whole answer is insecure"),
    Case("www.unknown-algorithm.com.", "A", NOERROR, False,
         a("www.unknown-algorithm.com.", "192.0.2.36"), ede_ok={1},
         why="the only DS names algorithm 253: insecure (RFC 6840 5.2)"),
    Case("www.unknown-digest.com.", "A", NOERROR, False,
         a("www.unknown-digest.com.", "192.0.2.37"), ede_ok={2},
         why="the only DS has digest type 200: insecure (RFC 6840 5.2)"),
    Case("www.nsec3-iter200.com.", "A", NOERROR, True, a("www.nsec3-iter200.com.", "192.0.2.38"),
         signed=True, why="data in an NSEC3 zone with 200 iterations: no NSEC3 needed, secure"),
    # Bogus.
    Case("www.sig-expired.com.", "A", SERVFAIL, False, ede=7, why="every signature expired"),
    Case("www.sig-not-yet-valid.com.", "A", SERVFAIL, False, ede=8,
         why="every signature's inception is in the future"),
    Case("www.ds-mismatch.com.", "A", SERVFAIL, False, ede=9,
         why="the parent's DS matches no DNSKEY of the zone (a rollover gone wrong)"),
    Case("www.changed-after-signing.com.", "A", SERVFAIL, False, ede=6,
         why="the record changed after signing: the signature does not verify"),
    Case("changed-after-signing.com.", "A", NOERROR, True,
         a("changed-after-signing.com.", "192.0.2.33"), signed=True,
         why="the rest of that zone is secure"),
    Case("www.rrsig-missing.com.", "A", SERVFAIL, False, ede=10,
         why="the RRSIG of www A was removed"),
    Case("nope.nsec-missing.com.", "A", SERVFAIL, False, ede=12,
         why="NXDOMAIN without NSEC in a signed zone"),
    Case("www.nsec-missing.com.", "TXT", SERVFAIL, False, ede=12,
         why="NODATA without NSEC in a signed zone"),
    Case("www.nsec-missing.com.", "A", NOERROR, True, a("www.nsec-missing.com.", "192.0.2.35"),
         signed=True, why="positive answers of that zone need no NSEC: secure"),
    # Checking disabled: the bogus data, never AD.
    Case("www.sig-expired.com.", "A", NOERROR, False, a("www.sig-expired.com.", "192.0.2.30"),
         cd=True, why="CD=1: the expired data is passed on for the client to validate"),
    Case("www.changed-after-signing.com.", "A", NOERROR, False,
         a("www.changed-after-signing.com.", "192.0.2.66"), cd=True,
         why="CD=1: the changed record is passed on"),
]

NSEC3_ITER200_NX = Case(
    "nope.nsec3-iter200.com.", "A", NXDOMAIN, False, set(), ede=27, denial="NSEC3",
    why="NXDOMAIN proven only by NSEC3 with 200 iterations: insecure, EDE 27 (RFC 9276 3.2)")


def case_params():
    out = [pytest.param(c, id=c.id) for c in CASES]
    out.append(pytest.param(NSEC3_ITER200_NX, id=NSEC3_ITER200_NX.id, marks=unbound_differs(
        "1.17 treats it as insecure (no AD) but sends no EDE 27")))
    return out


# -- resolvers ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def validating_unbound(the_lab):
    """A validating Unbound with the lab's trust anchor (the reference of this module)."""
    r = the_lab.start_unbound(addr=VALIDATING_UNBOUND, validate=True)
    yield r
    r.stop()


@pytest.fixture(scope="module")
def validator(the_lab, request):
    """The resolver under test: the module's rootwalkd (trust-anchor-file: the lab's anchor),
    or with LAB_RESOLVER=unbound a validating Unbound of its own (not the reference: that one
    must meet the comparison's questions with a cold cache, see test_bogus_ede_from_cache)."""
    if UNDER_TEST == "unbound":
        r = the_lab.start_unbound(addr=UNDER_TEST_UNBOUND, validate=True)
        yield r
        r.stop()
    else:
        yield request.getfixturevalue("rootwalkd")


@pytest.fixture(scope="module")
def compared(the_lab, request):
    """What test_same_as_validating_unbound compares with the reference: rootwalkd, or with
    LAB_RESOLVER=unbound a second validating Unbound (every answer stable and reproducible)."""
    if UNDER_TEST == "unbound":
        r = the_lab.start_unbound(addr=SECOND_UNBOUND, validate=True)
        yield r
        r.stop()
    else:
        yield request.getfixturevalue("rootwalkd")


def ask(r, qname, qtype, cd=False, do=True):
    """qname/qtype to resolver r with EDNS (1232 bytes) and DO (unless do=False); CD=1 with cd.
    Over TCP if the UDP answer is truncated."""
    q = dnsq.make_query(qname, qtype, want_dnssec=do)
    if cd:
        q.flags |= dns.flags.CD
    m = dns.query.udp(q, r.addr, timeout=WAIT)
    if m.flags & dns.flags.TC:
        m = dns.query.tcp(q, r.addr, timeout=WAIT)
    return m


def dnssec_ede(m):
    return sorted(code for code, _ in dnsq.ede(m) if code in DNSSEC_EDE)


def plain_records(m):
    """{(owner, type, rdata)} of the answer section, RRSIGs left out."""
    return {x for x in dnsq.records(m) if x[1] != "RRSIG"}


def describe(m):
    return "%s AD=%d EDE=%s\n  answer: %s\n  authority: %s" % (
        dnsq.rcode_text(m), bool(m.flags & dns.flags.AD), dnsq.ede(m),
        show_rrsets(rrsets(m.answer)), show_rrsets(rrsets(m.authority)))


def covered(section):
    """{(owner, type)} of the RRsets in section that have an RRSIG there."""
    out = set()
    for rrset in section:
        if rrset.rdtype == dns.rdatatype.RRSIG:
            for sig in rrset:
                out.add((rrset.name.to_text().lower(), dns.rdatatype.to_text(sig.type_covered)))
    return out


# -- the cases ---------------------------------------------------------------------------------

@pytest.mark.parametrize("case", case_params())
def test_case(validator, case):
    m = ask(validator, case.qname, case.qtype, cd=case.cd)
    what = "%s %s%s (%s): %s" % (case.qname, case.qtype, " CD=1" if case.cd else "", case.why,
                                 describe(m))
    assert m.rcode() == case.rcode, what
    assert bool(m.flags & dns.flags.AD) == case.ad, what
    if case.answer is not None:
        assert plain_records(m) == case.answer, what
    if case.rcode == SERVFAIL:
        assert not m.answer, "a bogus answer was handed out: " + what
    got = dnssec_ede(m)
    if case.ede is not None:
        assert case.ede in got, "want EDE %d: %s" % (case.ede, what)
    assert set(got) <= ({case.ede} | case.ede_ok) - {None}, "unexpected EDE: " + what
    if case.signed:
        sigs = covered(m.answer)
        unsigned = [k for k in rrsets(m.answer) if k[1] != "RRSIG" and k not in sigs]
        assert not unsigned, "answer RRsets without their RRSIG (DO=1): %s; %s" % (unsigned,
                                                                                 what)
    if case.denial:
        types = {dns.rdatatype.to_text(r.rdtype) for r in m.authority}
        sigs = {t for _, t in covered(m.authority)}
        assert case.denial in types and case.denial in sigs, \
            "want %s records and their RRSIGs in the authority section: %s" % (case.denial, what)
    if case.rcode != SERVFAIL and not m.answer:
        assert dnsq.soa_in_authority(m), "a negative answer without SOA: " + what


def test_wildcard_signature_shows_the_expansion(validator):
    """The RRSIG of a wildcard answer has fewer labels than the owner (RFC 4035 5.3.4): the
    answer is synthesised from *.wild, not a record of its own."""
    m = ask(validator, "x.y.wild.secure-nsec.com.", "A")
    assert m.rcode() == NOERROR and m.flags & dns.flags.AD, describe(m)
    sigs = [s for rrset in m.answer if rrset.rdtype == dns.rdatatype.RRSIG for s in rrset
            if s.type_covered == dns.rdatatype.A]
    assert sigs and all(s.labels == 3 for s in sigs), describe(m)  # wild.secure-nsec.com.


def test_no_do_no_dnssec_records(validator):
    """Without DO (and without AD in the question) a secure answer carries neither RRSIGs nor
    the AD bit (RFC 4035 3.2.1, RFC 6840 5.8); a bogus one is still SERVFAIL."""
    m = ask(validator, "www.secure-nsec.com.", "A", do=False)
    assert m.rcode() == NOERROR and not m.flags & dns.flags.AD, describe(m)
    assert plain_records(m) == a("www.secure-nsec.com.", "192.0.2.10"), describe(m)
    assert not [x for x in dnsq.records(m) if x[1] == "RRSIG"], describe(m)
    m = ask(validator, "www.sig-expired.com.", "A", do=False)
    assert m.rcode() == SERVFAIL and not m.answer, describe(m)


def test_ad_in_question_without_do(validator):
    """AD=1 in a question without DO asks for the AD bit (RFC 6840 5.7): set on a secure answer,
    without RRSIGs."""
    q = dnsq.make_query("www.secure-nsec3.net.", "A")
    q.flags |= dns.flags.AD
    m = dns.query.udp(q, validator.addr, timeout=WAIT)
    assert m.rcode() == NOERROR and m.flags & dns.flags.AD, describe(m)
    assert not [x for x in dnsq.records(m) if x[1] == "RRSIG"], describe(m)


@unbound_differs("1.17 answers a bogus answer from its cache with EDE 6 (DNSSEC Bogus) and no "
                 "text, whatever the reason was the first time")
def test_bogus_ede_from_cache(validator):
    """A bogus answer asked again (from the cache) tells the same reason: EDE 7, not just 6."""
    for i in range(2):
        m = ask(validator, "www.sig-expired.com.", "AAAA")
        assert m.rcode() == SERVFAIL and dnssec_ede(m) == [7], "try %d: %s" % (i + 1,
                                                                             describe(m))


# -- the comparison with a validating Unbound ----------------------------------------------------
#
# Every case above and every question generated from the zone files (scripts/lab.py questions,
# the broken zones included), asked with DO=1 of both: rcode, AD, the answer RRsets (RRSIGs
# included; TTLs and order ignored) and the DNSSEC EDE code where Unbound sends one (it sends
# none for insecure answers, where the RFCs allow one: see ede_ok above). Where the RFCs allow
# the two to differ, the question is listed in ALLOWED with the reason, and that part is not
# compared.

ALLOWED = {
    # (qname, qtype): {part: reason}
    ("nope.nsec3-iter200.com.", "A"): {
        "ede": "RFC 9276 3.2: rootwalkd says EDE 27 (unsupported NSEC3 iterations); Unbound "
               "1.17 sends no EDE"},
    ("www.unknown-algorithm.com.", "A"): {
        "ede": "RFC 8914 4.2: EDE 1 (unsupported DNSKEY algorithm) is allowed; Unbound 1.17 "
               "sends none"},
    ("www.unknown-digest.com.", "A"): {
        "ede": "RFC 8914 4.3: EDE 2 (unsupported DS digest type) is allowed; Unbound 1.17 "
               "sends none"},
}


def compare_questions():
    qs = [(c.qname, c.qtype) for c in CASES + [NSEC3_ITER200_NX] if not c.cd]
    broken = [("www.%s" % o, "A") for o in ("sig-expired.com.", "ds-mismatch.com.")]
    seen = set()
    out = []
    for q in qs + broken + zonefiles.questions():
        key = (q[0].lower(), q[1])
        if key in seen:
            continue
        seen.add(key)
        allowed = ALLOWED.get(key, {})
        out.append(pytest.param(q[0], q[1], allowed, id="%s/%s" % q))
    return out


@pytest.mark.parametrize("qname,qtype,allowed", compare_questions())
def test_same_as_validating_unbound(validating_unbound, compared, qname, qtype, allowed):
    want = ask(validating_unbound, qname, qtype)
    got = ask(compared, qname, qtype)
    msg = "%s %s: unbound %s\n%s %s%s" % (qname, qtype, describe(want), compared.kind,
                                         describe(got), "".join(
                                             "\n(allowed to differ in %s: %s)" % kv
                                             for kv in allowed.items()))
    assert got.rcode() == want.rcode(), msg
    assert bool(got.flags & dns.flags.AD) == bool(want.flags & dns.flags.AD), msg
    assert rrsets(got.answer) == rrsets(want.answer), msg
    if "ede" not in allowed and dnssec_ede(want):
        assert dnssec_ede(got) == dnssec_ede(want), msg


# -- delv: a validating client through the resolver ------------------------------------------------

def delv(the_lab, r, qname, qtype="A"):
    """delv @r with the lab's anchor (delv asks with CD=1 and validates the chain of trust
    itself, fetching DNSKEY and DS records through r). Returns the finished process."""
    assert the_lab.delv_anchor and os.path.exists(the_lab.delv_anchor)
    return subprocess.run(["delv", "@" + r.addr, "-a", the_lab.delv_anchor, "+root=.", qname,
                           qtype], capture_output=True, text=True, timeout=30,
                          stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("qname", ["www.secure-nsec.com.", "www.secure-nsec3.net.",
                                   "www.video-platform.com.", "anything.wild.secure-nsec.com."])
def test_delv_fully_validated(the_lab, validator, qname):
    p = delv(the_lab, validator, qname)
    assert "; fully validated" in p.stdout, p.stdout + p.stderr


def test_delv_unsigned(the_lab, validator):
    p = delv(the_lab, validator, "www.unsigned.com.")
    assert "; unsigned answer" in p.stdout, p.stdout + p.stderr


def test_delv_sees_bogus_data(the_lab, validator):
    """delv asks with CD=1, so the resolver hands out the expired data; delv's own validation
    must refuse it (the resolver passed on what delv needs to tell)."""
    p = delv(the_lab, validator, "www.sig-expired.com.")
    assert "fully validated" not in p.stdout, p.stdout + p.stderr
    assert "resolution failed" in p.stdout + p.stderr or \
        "validation failed" in p.stdout + p.stderr, p.stdout + p.stderr


# -- insecure by choice: negative trust anchors and domain-insecure (rootwalkd) ---------------------

def is_rootwalkd_only():
    if UNDER_TEST != "rootwalkd":
        pytest.skip("rootwalkd's control socket and configuration keys")


def test_nta_makes_a_bogus_zone_answer_then_goes(start_ctl):
    """RFC 7646: a negative trust anchor turns validation off at and below its name (the
    answer is insecure: the data, no AD); removed, the zone is bogus again. flush --bogus
    forgets the verdicts, so the next question validates afresh."""
    is_rootwalkd_only()
    c = start_ctl()
    name = "www.sig-expired.com."
    m = ask(c.r, name, "A")
    assert m.rcode() == dns.rcode.SERVFAIL and dnssec_ede(m) == [7], describe(m)
    c.ok("nta", "add", "sig-expired.com", "--ttl", "300")
    m = ask(c.r, name, "A")
    assert m.rcode() == dns.rcode.NOERROR and not m.flags & dns.flags.AD, describe(m)
    assert ("www.sig-expired.com.", "A", "192.0.2.30") in plain_records(m), describe(m)
    # other zones are still validated
    m = ask(c.r, "www.secure-nsec.com.", "A")
    assert m.flags & dns.flags.AD, describe(m)
    c.ok("nta", "remove", "sig-expired.com")
    out = c.ok("flush", "--bogus")
    assert "removed" in out, out
    m = ask(c.r, name, "A")
    assert m.rcode() == dns.rcode.SERVFAIL and dnssec_ede(m) == [7], describe(m)


def test_domain_insecure(start_rootwalkd):
    """domain-insecure: NAME in the configuration, as Unbound's: no validation below it."""
    is_rootwalkd_only()
    r = start_rootwalkd(extra="domain-insecure: ds-mismatch.com\n")
    m = ask(r, "www.ds-mismatch.com.", "A")
    assert m.rcode() == dns.rcode.NOERROR and not m.flags & dns.flags.AD, describe(m)
    m = ask(r, "www.rrsig-missing.com.", "A")
    assert m.rcode() == dns.rcode.SERVFAIL and dnssec_ede(m) == [10], describe(m)


def test_dnssec_no_validates_nothing(start_rootwalkd):
    """dnssec: no: no validation, never AD; the RRSIGs still reach a client that sets DO."""
    is_rootwalkd_only()
    r = start_rootwalkd(extra="dnssec: no\n")
    m = ask(r, "www.sig-expired.com.", "A")
    assert m.rcode() == dns.rcode.NOERROR and not m.flags & dns.flags.AD, describe(m)
    m = ask(r, "www.secure-nsec.com.", "A")
    assert not m.flags & dns.flags.AD and ("www.secure-nsec.com.", "A") in covered(m.answer), \
        describe(m)
