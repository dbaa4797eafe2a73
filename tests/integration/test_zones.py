"""The lab itself: zone files are valid, the table keeps the hierarchy honest, and the zones hold
what the story needs. No network."""

import os

import dns.message
import dns.name
import dns.rdatatype
import dns.rrset
import dns.zone
import pytest

import rwlab
from rwlab import zonefiles



SERVERS = zonefiles.read_table()


@pytest.mark.parametrize("zone,fname", sorted({f for s in SERVERS for f in s.files}))
def test_zone_file_valid(zone, fname):
    """Every zone file a lab server serves (a server's own variant too) loads in NSD, but the
    ones invalid on purpose, which nsd-checkzone must refuse for that reason."""
    r = zonefiles.checkzone(zone, os.path.join(rwlab.ZONES, fname))
    why = zonefiles.INVALID_ON_PURPOSE.get((zone, fname))
    if why:
        assert r.returncode != 0 and why in r.stdout + r.stderr, r.stdout + r.stderr
    else:
        assert r.returncode == 0, r.stdout + r.stderr


def test_one_server_per_address_and_levels_apart():
    addrs = [s.addr for s in SERVERS]
    assert len(addrs) == len(set(addrs)), "an address appears twice in lab.conf"
    for s in SERVERS:
        names = [dns.name.from_text(z) for z in s.zones]
        for a in names:
            for b in names:
                # A server holding a zone never holds its direct child: the walk must go
                # through a referral (the root and com. are on different servers, and so on).
                if a != b and b.is_subdomain(a) and len(b) == len(a) + 1:
                    pytest.fail("%s holds both %s and its child %s" % (s.name, a, b))


def test_root_hints_are_lab_servers():
    with open(os.path.join(rwlab.ZONES, "root.hints")) as f:
        text = f.read()
    addrs = [line.split()[-1] for line in text.splitlines()
             if line.strip() and not line.startswith(";") and line.split()[2] in ("A", "AAAA")]
    roots = {s.addr for s in SERVERS if "." in s.zones}
    assert addrs and set(addrs) == roots, (addrs, roots)


def test_story_data(zones):
    vp = zones["video-platform.com."]
    a = vp.get_rdataset("video-platform.com.", "A")
    assert [r.to_text() for r in a] == ["203.0.113.42"] and a.ttl == 300
    assert [r.to_text() for r in vp.get_rdataset("video-platform.com.", "AAAA")] == ["2001:db8::1"]
    assert [r.to_text() for r in vp.get_rdataset("www.video-platform.com.", "CNAME")] == \
        ["video-platform.com."]
    assert vp.get_rdataset("video-platform.com.", "MX")
    assert any("v=spf1" in r.to_text() for r in vp.get_rdataset("video-platform.com.", "TXT"))
    node = vp.get_node("txt-only.video-platform.com.")
    assert [dns.rdatatype.to_text(r.rdtype) for r in node.rdatasets] == ["TXT"]
    assert vp.get_rdataset("odd.video-platform.com.", dns.rdatatype.from_text("TYPE65400"))
    assert vp.get_rdataset("_sip._tcp.video-platform.com.", "SRV")
    assert vp.get_rdataset("video-platform.com.", "CAA")
    cdn = vp.get_rdataset("cdn.video-platform.com.", "CNAME")
    assert [r.to_text() for r in cdn] == ["edge.cdnhost.net."]
    ptr = zones["113.0.203.in-addr.arpa."].get_rdataset("42.113.0.203.in-addr.arpa.", "PTR")
    assert [r.to_text() for r in ptr] == ["video-platform.com."]


def test_big_txt_exceeds_1232(zones):
    rds = zones["video-platform.com."].get_rdataset("big.video-platform.com.", "TXT")
    m = dns.message.make_response(dns.message.make_query("big.video-platform.com.", "TXT"))
    m.answer.append(dns.rrset.from_rdata_list("big.video-platform.com.", rds.ttl, list(rds)))
    assert len(m.to_wire()) > 1232


def test_no_glue_for_dnshost_servers_outside_net(zones):
    """ns1/ns2.dnshost.net have addresses only in net. (glue for dnshost.net) and in
    dnshost.net. itself; the com. and in-addr.arpa. delegations that use them carry none."""
    for origin, z in zones.items():
        if origin in ("net.", "dnshost.net."):
            continue
        for ns in ("ns1.dnshost.net.", "ns2.dnshost.net."):
            node = z.get_node(ns)
            assert node is None, "%s has records for %s" % (origin, ns)
    com = zones["com."]
    assert sorted(r.to_text() for r in com.get_rdataset("video-platform.com.", "NS")) == \
        ["ns1.dnshost.net.", "ns2.dnshost.net."]


def test_lame_delegation(zones):
    ns = [r.target for r in zones["com."].get_rdataset("lame.com.", "NS")]
    glue = [r.address for n in ns for r in zones["com."].get_rdataset(n, "A")]
    holders = [s for s in SERVERS if s.addr in glue]
    assert holders and all("lame.com." not in s.zones for s in holders), holders


def test_questions_cover_every_zone():
    """Every zone but those broken on purpose (DNSSEC faults: test_dnssec.py asks them)."""
    qs = zonefiles.questions()
    zones = ({z for s in SERVERS for z in s.zones} - zonefiles.broken_zones()
             - zonefiles.CHECK_FAULT_ZONES)
    for z in zones:
        assert any(dns.name.from_text(q).is_subdomain(dns.name.from_text(z)) for q, _ in qs), z
    assert len(qs) >= 40


@pytest.mark.parametrize("zone,fname", zonefiles.FAULT_ZONE_FILES)
def test_fault_zone_files_valid(zone, fname):
    """The scripted fault server's zones (zones/fault/) are valid zone files too."""
    path = os.path.join(rwlab.ZONES, "fault", fname)
    r = zonefiles.checkzone(zone, path)
    assert r.returncode == 0, r.stdout + r.stderr


def test_fault_servers_on_their_own_addresses(zones):
    """The root delegates fault. to the scripted server at 127.9.0.1; every fault. delegation
    points into 127.9.0.0/16 (the fault servers' range), away from the NSD servers."""
    root = zones["."]
    assert [r.to_text() for r in root.get_rdataset("fault.", "NS")] == ["ns.fault."]
    assert [r.to_text() for r in root.get_rdataset("ns.fault.", "A")] == ["127.9.0.1"]
    fz = dns.zone.from_file(os.path.join(rwlab.ZONES, "fault", "fault.zone"), origin="fault.",
                            relativize=False)
    nsd_addrs = {s.addr for s in SERVERS}
    glue = [r.address for name, node in fz.nodes.items()
            for rds in node.rdatasets if rds.rdtype in (dns.rdatatype.A,) for r in rds]
    assert glue and all(a.startswith("127.9.") and a not in nsd_addrs for a in glue), glue


def _file_zone(origin, fname):
    return dns.zone.from_file(os.path.join(rwlab.ZONES, fname), origin=origin, relativize=False)


def _names(rds):
    return sorted(r.to_text() for r in rds) if rds is not None else []


def test_check_zones_hold_their_failure(zones):
    """The zones of `rootwalk check` (issue 15) each hold the failure their comment names, and
    lab.conf's zone=file, knot: and silent are read as such."""
    com, net = zones["com."], zones["net."]
    by_addr = {s.addr: s for s in SERVERS}
    # halflame.com: the second glue address runs a server that does not serve the zone
    glue = [r.address for n in ("ns1.halflame.com.", "ns2.halflame.com.")
            for r in com.get_rdataset(n, "A")]
    assert [("halflame.com." in by_addr[a].zones) for a in glue] == [True, False], glue
    # nsdiff.com: parent ns1+ns2, child ns1+ns3
    assert _names(com.get_rdataset("nsdiff.com.", "NS")) == ["ns1.nsdiff.com.", "ns2.nsdiff.com."]
    assert _names(zones["nsdiff.com."].get_rdataset("nsdiff.com.", "NS")) == \
        ["ns1.nsdiff.com.", "ns3.nsdiff.com."]
    # gluediff.com: glue and the child's own address differ, and both addresses serve it
    g = _names(com.get_rdataset("ns1.gluediff.com.", "A"))
    c = _names(zones["gluediff.com."].get_rdataset("ns1.gluediff.com.", "A"))
    assert g == ["127.3.6.1"] and c == ["127.3.6.3"]
    assert all("gluediff.com." in by_addr[a].zones for a in g + c)
    # propagation.com: three servers, the third from an older file with another www address
    ps = [s for s in SERVERS if "propagation.com." in s.zones]
    assert [f for s in ps for z, f in s.files if z == "propagation.com."] == \
        ["propagation.com.zone", "propagation.com.zone", "propagation.com-behind.zone"]
    new = _file_zone("propagation.com.", "propagation.com.zone")
    old = _file_zone("propagation.com.", "propagation.com-behind.zone")
    soa = [z.get_rdataset("propagation.com.", "SOA")[0].serial for z in (new, old)]
    assert soa[1] < soa[0], soa
    assert _names(new.get_rdataset("www.propagation.com.", "A")) != \
        _names(old.get_rdataset("www.propagation.com.", "A"))
    # apexcname.com: on Knot; the file has a CNAME at the apex (read as text: dnspython drops
    # the SOA beside a CNAME)
    knot = by_addr["127.3.6.4"]
    assert type(knot).__name__ == "KnotServer" and knot.zones == ["apexcname.com."]
    with open(os.path.join(rwlab.ZONES, "apexcname.com.zone")) as f:
        assert any(l.split()[:3] == ["@", "300", "CNAME"] for l in f if l.strip()), \
            "no CNAME at the apex"
    # nodata.com: www has MX and TXT and no address; longttl.com: www A lives 7 days
    node = zones["nodata.com."].get_node("www.nodata.com.")
    assert sorted(dns.rdatatype.to_text(r.rdtype) for r in node.rdatasets) == ["MX", "TXT"]
    assert zones["longttl.com."].get_rdataset("www.longttl.com.", "A").ttl == 604800
    # silent.net: ns2's address is a silent server, serving nothing
    silent = _names(net.get_rdataset("ns2.silent.net.", "A"))
    assert silent == ["127.3.8.1"] and type(by_addr["127.3.8.1"]).__name__ == "SilentServer"
    assert by_addr["127.3.8.1"].zones == []
