"""rootwalkd and Unbound, asked the same questions (generated from the zone files by
`scripts/lab.py questions`), give the same rcode and the same answer RRsets (rdata sets; TTLs and
order ignored). For negative answers, both carry the same SOA in the authority section.

With LAB_RESOLVER=unbound a second Unbound takes rootwalkd's place: that checks that every
question has one stable answer that a reference resolver gives within the time bound."""

import dns.rcode
import pytest

from conftest import UNDER_TEST

from rwlab import dnsq, zonefiles
from rwlab.dnsq import rrsets, show_rrsets

QUESTIONS = zonefiles.questions()


def summary(m):
    soa = [(s.name.to_text().lower(), sorted(r.to_text() for r in s))
           for s in dnsq.soa_in_authority(m)]
    return "%s answer=[%s] authority-soa=%s" % (dnsq.rcode_text(m), show_rrsets(rrsets(m.answer)),
                                                soa)


@pytest.fixture(scope="module")
def compared(the_lab, request):
    if UNDER_TEST == "unbound":
        r = the_lab.start_unbound(addr="127.0.0.55")
        yield r
        r.stop()
    else:
        yield request.getfixturevalue("rootwalkd")


def test_enough_questions():
    assert len(QUESTIONS) >= 40, len(QUESTIONS)


@pytest.mark.parametrize("qname,qtype", QUESTIONS, ids=["%s/%s" % q for q in QUESTIONS])
def test_same_as_unbound(unbound, compared, qname, qtype):
    want = dnsq.ask_stub(unbound.addr, qname, qtype)
    got = dnsq.ask_stub(compared.addr, qname, qtype)
    msg = "%s %s: unbound %s; %s %s" % (qname, qtype, summary(want), compared.kind, summary(got))
    assert got.rcode() == want.rcode(), msg
    assert rrsets(got.answer) == rrsets(want.answer), msg
    negative = want.rcode() == dns.rcode.NXDOMAIN or (want.rcode() == dns.rcode.NOERROR
                                                      and not want.answer)
    if negative:
        assert rrsets(dnsq.soa_in_authority(got)) == rrsets(dnsq.soa_in_authority(want)), msg
