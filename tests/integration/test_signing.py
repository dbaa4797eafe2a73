"""The lab's signing (scripts/rwlab/signing.py, zones/dnssec.conf), checked on the signed files
themselves: keys, DS records in the parents, the faults, the trust anchor; signatures checked
with dnspython. No network: one signing into a temporary folder for the module."""

import os
import shutil
import time

import dns.dnssec
import dns.name
import dns.rdatatype
import dns.zone
import pytest

import rwlab
from rwlab import signing, zonefiles

SERVED = {z for s in zonefiles.read_table() for z in s.zones}
PLAN = signing.read_plan()


@pytest.fixture(scope="module")
def signed(tmp_path_factory):
    d = tmp_path_factory.mktemp("signing")
    zonesdir = str(d / "zones")
    shutil.copytree(rwlab.ZONES, zonesdir)
    signer = signing.Signer(zonesdir, str(d / "dnssec")).sign_all(SERVED)
    zones = {o: dns.zone.from_file(os.path.join(zonesdir, zonefiles.zone_file_name(o)),
                                   origin=o, relativize=False)
             for o in SERVED - zonefiles.CHECK_FAULT_ZONES}
    return signer, zones


def rds(zone, owner, rdtype):
    r = zone.get_rdataset(owner, rdtype)
    return list(r) if r is not None else []


def sigs(zone, owner, covered):
    r = zone.get_rdataset(owner, dns.rdatatype.RRSIG, covers=covered)
    return list(r) if r is not None else []


def verify(zone, owner, rdtype, when):
    """dns.dnssec.validate owner/rdtype of a signed zone with the zone's DNSKEY at time when."""
    name = dns.name.from_text(owner)
    rrset = zone.find_rrset(name, rdtype)
    rrsig = zone.find_rrset(name, dns.rdatatype.RRSIG, covers=dns.rdatatype.from_text(rdtype))
    keys = {zone.origin: zone.find_rdataset(zone.origin, dns.rdatatype.DNSKEY)}
    dns.dnssec.validate(rrset, rrsig, keys, now=when)


def test_signing_is_fast(signed):
    signer, _ = signed
    assert signer.seconds < 5.0, "signing the lab took %.2f s" % signer.seconds


def test_signed_zones_have_keys_ds_and_denial(signed):
    signer, zones = signed
    for origin, plan in PLAN.items():
        z = zones[origin]
        keys = rds(z, origin, "DNSKEY")
        assert [k.algorithm for k in keys] == [dns.dnssec.algorithm_from_text(plan.algorithm)]
        assert sigs(z, origin, dns.rdatatype.SOA), origin
        if plan.denial == "nsec3":
            param = rds(z, origin, "NSEC3PARAM")
            assert param and param[0].iterations == plan.iterations, origin
            flags = {r.flags for n in z.nodes for r in rds(z, n, "NSEC3")}
            assert flags == {1 if plan.optout else 0}, (origin, flags)
        else:
            assert rds(z, origin, "NSEC") or "drop-nsec" in plan.faults, origin
        parent = signing.parent_of(origin, SERVED)
        if parent is None:
            continue
        ds = rds(zones[parent], origin, "DS")
        assert len(ds) == 1, (origin, ds)
        ds = ds[0]
        matches = dns.dnssec.key_id(keys[0]) == ds.key_tag
        assert matches == ("ds-mismatch" not in plan.faults), origin
        assert ds.algorithm == int(plan.faults.get("ds-algorithm", keys[0].algorithm)), origin
        assert ds.digest_type == int(plan.faults.get("ds-digest", 2)), origin


def test_unsigned_zones_have_no_ds(signed):
    _, zones = signed
    for origin in SERVED - set(PLAN):
        parent = signing.parent_of(origin, SERVED)
        assert not rds(zones[parent], origin, "DS"), origin
        if origin in zones:  # not a CHECK_FAULT_ZONES one dnspython cannot load (apexcname.com)
            assert not rds(zones[origin], origin, "DNSKEY"), origin


def test_signatures_verify(signed):
    signer, zones = signed
    now = signer.now
    for origin in ("secure-nsec.com.", "secure-nsec3.net.", "com.", "."):
        verify(zones[origin], origin, "SOA", now)
        verify(zones[origin], origin, "DNSKEY", now)
    verify(zones["secure-nsec.com."], "*.wild.secure-nsec.com.", "A", now)
    verify(zones["changed-after-signing.com."], "changed-after-signing.com.", "A", now)


def test_faults(signed):
    signer, zones = signed
    now = signer.now
    z = zones["changed-after-signing.com."]
    assert [r.address for r in rds(z, "www.changed-after-signing.com.", "A")] == ["192.0.2.66"]
    with pytest.raises(dns.dnssec.ValidationFailure):
        verify(z, "www.changed-after-signing.com.", "A", now)
    z = zones["rrsig-missing.com."]
    assert rds(z, "www.rrsig-missing.com.", "A") and \
        not sigs(z, "www.rrsig-missing.com.", dns.rdatatype.A)
    z = zones["nsec-missing.com."]
    assert not [n for n in z.nodes if rds(z, n, "NSEC") or sigs(z, n, dns.rdatatype.NSEC)]
    for origin, expired in (("sig-expired.com.", True), ("sig-not-yet-valid.com.", False)):
        for s in sigs(zones[origin], origin, dns.rdatatype.SOA):
            assert (s.expiration < now) if expired else (s.inception > now), origin
        with pytest.raises(dns.dnssec.ValidationFailure):
            verify(zones[origin], origin, "SOA", now)


def test_trust_anchor(signed):
    signer, zones = signed
    with open(signer.anchor_ds) as f:
        text = f.read()
    ds = [l.split() for l in text.splitlines() if l and not l.startswith(";")]
    key = rds(zones["."], ".", "DNSKEY")[0]
    assert ds and ds[0][:4] == [".", "86400", "IN", "DS"]
    assert int(ds[0][4]) == dns.dnssec.key_id(key)
    want = dns.dnssec.make_ds(dns.name.root, key, "SHA256").digest.hex()
    assert ds[0][7].lower() == want
    with open(signer.anchor_delv) as f:
        assert want.upper() in f.read()
    assert abs(signer.now - time.time()) < 600
