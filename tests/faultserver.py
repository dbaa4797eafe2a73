#!/usr/bin/python3
"""A scripted authoritative DNS server for tests: answers from zone files, or misbehaves on
purpose, one scenario per process and one process per address (UDP and TCP).

    faultserver.py --addr 127.9.1.1 --zone twoserv.fault.=zones/fault/generic.zone \\
                   --scenario '{"mode": "silent"}' --log /tmp/q.log

It runs only inside the lab's private network namespace (scripts/in_lab.sh), like every lab
server. It prints "ready" on stdout once its sockets are bound, and writes one JSON line per
query it receives to --log ({"t", "proto", "src", "id", "qname" (case as received), "qtype",
"edns", "rd"}), so a test can count and inspect the queries a resolver sent it.

Scenario (JSON object; every key optional):
  mode        what to do with each query (default "normal"):
    normal        authoritative answers from the zones: AA answers, CNAME chains inside the
                  zones, wildcards, NXDOMAIN and NODATA with the SOA, referrals with in-zone glue
                  for delegations, REFUSED outside the zones; truncated (TC) when too big for UDP
    silent        never answer (TCP connections are accepted and held open)
    refused       REFUSED            servfail   SERVFAIL           notimp  NOTIMP
    lame          NOERROR, not authoritative, nothing in any section
    referral      a non-authoritative referral to scenario["referral"] whatever is asked:
                  {"zone": "fault.", "ns": {"ns.fault.": "127.9.0.1"}} (upward or sideways)
    formerr-edns  FORMERR without OPT to queries with EDNS; normal without EDNS
    ent-nxdomain  NXDOMAIN instead of NODATA for empty non-terminals; otherwise normal
    tc            UDP: TC with no records; TCP: normal
    tc-always     TC with no records over UDP and over TCP
    spoof-id      UDP: first a forged answer with a wrong ID, then the real one
    spoof-port    UDP: first a forged answer from another source port, then the real one
    spoof-case    UDP: first a forged answer whose question has a different letter case
    lowercase     normal answers, but the question (and owner names) in lower case: a server
                  that does not echo the 0x20 case of the question
    ent-servfail  SERVFAIL for empty non-terminals (a server that breaks on the minimised
                  questions of QNAME minimisation); otherwise normal
    cookie-required  a server that requires DNS cookies (RFC 7873 5.2.3): a query with a
                  client cookie but no valid server cookie gets BADCOOKIE (rcode 23) with a fresh
                  server cookie; with a valid one, the normal reply with the cookie echoed;
                  without a COOKIE option, TC with no records (over UDP; TCP always answers)
    spoof-cookie  UDP: first a forged answer (same ID and case) whose COOKIE echoes a wrong
                  client cookie, then the real one with the cookie echoed right
    spoof-nocookie  UDP: answers with the cookie echoed (as spoof-cookie); queries that carry
                  a server cookie first get a forged answer (same ID and case) with no COOKIE
                  option at all, as an attacker who strips it would send
    spoof-flood   UDP: for each query, first spoof_count forged answers (same ID, question in
                  another letter case: an attacker who won the ID and port race but not 0x20),
                  then the real one after flood_delay_ms; with flood_silent, no real UDP answer
                  at all (TCP answers)
    junk-flood    UDP: before the answer to the first query, a flood of junk datagrams from the
                  server's own address and port to the asker (the query's header with another
                  ID and QR set): junk_count of them (default 20000) within junk_max_ms
                  (default 300), whichever ends first; then normal (see junk_flood below)
  delay_ms    wait this long before answering (any mode)
  spoof_gap_ms  time between the forged and the real answer (default 30)
  spoof_count   forged answers per query in spoof-flood (default 20)
  no_tcp      true: do not listen on TCP (connections are refused)
  add         ["name ttl IN TYPE rdata", ...]: records added to the zone that holds them
  extra       {"answer": [...], "authority": [...], "additional": [...]}: records added to
              every normal reply (poisoning attempts, out-of-bailiwick data)
  remove      ["name TYPE", ...]: RRsets taken out of the zone that holds them (before add)
  fail_first  N: the first N queries get fail_rcode instead of the reply of the mode (a server
              that errs once and then recovers); fail_rcode: "SERVFAIL" (default), "REFUSED",
              any rcode, or "silent" (no reply); fail_match {"qname": ..., "qtype": ...}: only
              queries that match count and fail (e.g. {"qname": ".", "qtype": "NS"})
  nodata      how a NODATA reply (empty answer, NOERROR) looks: "noaa" (the SOA, but AA
              clear), "apex-ns" (AA, the zone's apex NS set instead of the SOA), "empty" (AA,
              nothing in authority); default: AA and the SOA
  referral_aa true: referrals keep the AA bit (a server that sets AA on delegations)
  dup_answer  true: every RRset of the answer section appears twice (identical records)
  ds_from_child  true: a DS query for a zone this server also serves as the child is answered
              from the child's apex (NODATA with the child's SOA); default: from the parent zone
              when this server serves it, as a real server does
  then        a scenario that takes over on SIGUSR1 (a delegation that changes, a server that
              stops serving a zone): its keys replace the first ones, its remove and add apply
              on top of the first zone data (re-read from the files); "switched" is printed on
              stdout once the new scenario answers

Zone data may hold DNAME records (RFC 6672): names below a DNAME are answered with the DNAME,
the CNAME synthesised from it (TTL of the DNAME) and what the target holds in the zone;
YXDOMAIN with the DNAME when the substituted name would exceed 255 octets.
"""

import argparse
import hashlib
import json
import os
import signal
import socket
import struct
import sys
import threading
import time

import dns.edns
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.rrset
import dns.zone

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "scripts"))
from rwlab import LabError  # noqa: E402
from rwlab.dnsq import frame, read_msg  # noqa: E402
from rwlab.isolate import ensure_isolated  # noqa: E402

FORGED_ADDR = "192.0.2.66"  # what forged answers claim; a resolver must never serve it
COOKIE_OPT = 10
COOKIE_SECRET = os.urandom(16)


def cookie_of(q):
    """The COOKIE option's bytes in a query, or None."""
    for o in q.options if q.edns >= 0 else ():
        if o.otype == COOKIE_OPT:
            return o.data if hasattr(o, "data") else o.to_wire()
    return None


def server_cookie(cc, src):
    """The server cookie for a client cookie and a client address (16 bytes, keyed)."""
    return hashlib.blake2b(cc + src[0].encode(), key=COOKIE_SECRET, digest_size=16).digest()


def with_cookie(r, data):
    """r with a COOKIE option of data (and EDNS, keeping its extended rcode)."""
    rcode = r.rcode()
    r.use_edns(0, 0, 1232, options=[dns.edns.GenericOption(COOKIE_OPT, data)])
    r.set_rcode(rcode)
    return r
MAX_CHAIN = 16


def parse_rr(text):
    """'name ttl IN TYPE rdata...' -> dns.rrset.RRset"""
    f = text.split(None, 4)
    if len(f) != 5 or f[2].upper() != "IN":
        raise ValueError("want 'name ttl IN TYPE rdata': %r" % text)
    return dns.rrset.from_text(f[0], int(f[1]), "IN", f[3], f[4])


class Authority:
    """Answers for a set of zones, as an authoritative server without DNSSEC would."""

    def __init__(self, zones, ent_nxdomain=False, ent_servfail=False, nodata=None,
                 referral_aa=False, ds_from_child=False):
        self.zones = zones  # {dns.name.Name: dns.zone.Zone}, absolute names
        self.ent_nxdomain = ent_nxdomain
        self.ent_servfail = ent_servfail
        self.nodata_style = nodata
        self.referral_aa = referral_aa
        self.ds_from_child = ds_from_child

    @classmethod
    def for_scenario(cls, zones, sc):
        return cls(zones, ent_nxdomain=sc.get("mode") == "ent-nxdomain",
                   ent_servfail=sc.get("mode") == "ent-servfail", nodata=sc.get("nodata"),
                   referral_aa=bool(sc.get("referral_aa")),
                   ds_from_child=bool(sc.get("ds_from_child")))

    def zone_for(self, name):
        best = None
        for origin in self.zones:
            if name.is_subdomain(origin) and (best is None or origin.is_subdomain(best)):
                best = origin
        return None if best is None else self.zones[best]

    @staticmethod
    def cut_above(zone, name):
        """The highest delegation point strictly below the apex, at or above name, or None."""
        cuts = []
        n = name
        while n != zone.origin and n.is_subdomain(zone.origin):
            node = zone.get_node(n)
            if node is not None and node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.NS):
                cuts.append(n)
            n = n.parent()
        return cuts[-1] if cuts else None

    @staticmethod
    def soa_rrset(zone):
        soa = zone.find_rdataset(zone.origin, dns.rdatatype.SOA)
        ttl = min(soa.ttl, soa[0].minimum)
        return dns.rrset.from_rdata_list(zone.origin, ttl, list(soa))

    @staticmethod
    def is_ent(zone, name):
        return any(n != name and n.is_subdomain(name) for n in zone.nodes)

    @staticmethod
    def wildcard(zone, name):
        """The wildcard node that synthesises name (RFC 4592, simplified), or None."""
        n = name.parent()
        while n.is_subdomain(zone.origin):
            if zone.get_node(n) is not None or Authority.is_ent(zone, n):
                return zone.get_node(dns.name.from_text("*", n))  # closest encloser found
            if n == zone.origin:
                break
            n = n.parent()
        return None

    def answer(self, q):
        """A normal authoritative reply to query q (dns.message.Message)."""
        r = dns.message.make_response(q, our_payload=1232)
        qname = q.question[0].name
        qtype = q.question[0].rdtype
        zone = self.zone_for(qname)
        if zone is None:
            r.set_rcode(dns.rcode.REFUSED)
            return r
        if (qtype == dns.rdatatype.DS and qname == zone.origin and not self.ds_from_child
                and qname != dns.name.root):
            # DS lives in the parent zone (RFC 4035 3.1.4.1): answer from it if served here.
            parent = self.zone_for(qname.parent())
            if parent is not None:
                zone = parent
        r.flags |= dns.flags.AA
        name = qname
        seen = set()
        for _ in range(MAX_CHAIN):
            cut = self.cut_above(zone, name)
            if cut is not None and not (cut == name and qtype == dns.rdatatype.DS):
                if not r.answer and not self.referral_aa:
                    r.flags &= ~dns.flags.AA
                self.referral(r, zone, cut)
                return r
            dname = self.dname_above(zone, name)
            if dname is not None:
                # RFC 6672 2.2/3.1: the DNAME, then the CNAME synthesised from it.
                owner, rds = dname
                r.answer.append(dns.rrset.from_rdata_list(owner, rds.ttl, list(rds)))
                try:
                    target = name.relativize(owner).derelativize(rds[0].target)
                except dns.name.NameTooLong:
                    r.set_rcode(dns.rcode.YXDOMAIN)
                    return r
                r.answer.append(dns.rrset.from_text(name, rds.ttl, "IN", "CNAME",
                                                    target.to_text()))
                seen.add(name)
                if target in seen or not target.is_subdomain(zone.origin):
                    return r
                name = target
                continue
            node = zone.get_node(name)
            if node is None:
                node = self.wildcard(zone, name)
            if node is None:
                if self.is_ent(zone, name) and self.ent_servfail:
                    r.flags &= ~dns.flags.AA
                    r.set_rcode(dns.rcode.SERVFAIL)
                    return r
                if self.is_ent(zone, name) and not self.ent_nxdomain:
                    return self.nodata(r, zone)
                r.set_rcode(dns.rcode.NXDOMAIN)
                r.authority.append(self.soa_rrset(zone))
                return r
            if qtype == dns.rdatatype.ANY:
                for rds in node.rdatasets:
                    r.answer.append(dns.rrset.from_rdata_list(name, rds.ttl, list(rds)))
                return r
            rds = node.get_rdataset(dns.rdataclass.IN, qtype)
            if rds is not None:
                r.answer.append(dns.rrset.from_rdata_list(name, rds.ttl, list(rds)))
                return r
            cname = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.CNAME)
            if cname is None:
                return self.nodata(r, zone)
            r.answer.append(dns.rrset.from_rdata_list(name, cname.ttl, list(cname)))
            seen.add(name)
            target = cname[0].target
            if target in seen or not target.is_subdomain(zone.origin):
                return r
            name = target
        return r

    def nodata(self, r, zone):
        """NODATA: the SOA in authority, or as the scenario's nodata option says (only when
        the answer section is empty)."""
        style = self.nodata_style if not r.answer else None
        if style == "noaa":
            r.flags &= ~dns.flags.AA
        if style == "apex-ns":
            ns = zone.find_rdataset(zone.origin, dns.rdatatype.NS)
            r.authority.append(dns.rrset.from_rdata_list(zone.origin, ns.ttl, list(ns)))
        elif style != "empty":
            r.authority.append(self.soa_rrset(zone))
        return r

    @staticmethod
    def dname_above(zone, name):
        """(owner, rdataset) of the DNAME that rewrites name (at a strict ancestor of name
        inside zone; the one closest to the apex), or None."""
        found = None
        n = name
        while n != zone.origin and n.is_subdomain(zone.origin):
            n = n.parent()
            node = zone.get_node(n)
            rds = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.DNAME) if node else None
            if rds is not None:
                found = (n, rds)
        return found

    @staticmethod
    def referral(r, zone, cut):
        ns = zone.find_rdataset(cut, dns.rdatatype.NS)
        r.authority.append(dns.rrset.from_rdata_list(cut, ns.ttl, list(ns)))
        for rd in ns:
            if not rd.target.is_subdomain(zone.origin):
                continue
            node = zone.get_node(rd.target)
            for t in (dns.rdatatype.A, dns.rdatatype.AAAA):
                rds = node.get_rdataset(dns.rdataclass.IN, t) if node is not None else None
                if rds is not None:
                    r.additional.append(dns.rrset.from_rdata_list(rd.target, rds.ttl, list(rds)))


def referral_to(q, spec):
    """A non-authoritative referral to spec['zone'] with spec['ns'] {name: address}."""
    r = dns.message.make_response(q, our_payload=1232)
    zone = dns.name.from_text(spec["zone"])
    names = sorted(spec["ns"])
    r.authority.append(dns.rrset.from_text_list(zone, 3600, "IN", "NS", names))
    for n in names:
        r.additional.append(dns.rrset.from_text(n, 3600, "IN", "A", spec["ns"][n]))
    return r


def swap_case(name):
    return dns.name.Name([l.swapcase() for l in name.labels])


class Server:
    def __init__(self, addr, port, authority, scenario, log):
        self.addr = addr
        self.port = port
        self.auth = authority
        self.sc = scenario
        self.mode = scenario.get("mode", "normal")
        self.log = log
        self.log_lock = threading.Lock()
        self.udp = None
        self.tcp = None
        self.other = None  # socket for forged answers from another port
        self.failed = 0  # queries answered with fail_rcode so far (fail_first)
        self.fail_lock = threading.Lock()
        self.set_extra(scenario)

    def set_extra(self, scenario):
        extra = scenario.get("extra", {})
        self.extra = {sec: [parse_rr(t) for t in extra.get(sec, [])]
                      for sec in ("answer", "authority", "additional")}

    def switch(self, authority, scenario):
        """Serve another scenario (and zone data) from now on (SIGUSR1, scenario["then"])."""
        self.set_extra(scenario)
        self.sc = scenario
        self.auth = authority
        self.mode = scenario.get("mode", "normal")

    # -- logging ------------------------------------------------------------------------------

    def record(self, proto, src, q, wire):
        if self.log is None:
            return
        ev = {"t": time.time(), "proto": proto, "src": "%s#%d" % src[:2]}
        if q is None:
            ev.update(id=struct.unpack("!H", wire[:2])[0] if len(wire) >= 2 else None,
                      unparsable=True)
        else:
            ev.update(id=q.id, qname=q.question[0].name.to_text() if q.question else None,
                      qtype=dns.rdatatype.to_text(q.question[0].rdtype) if q.question else None,
                      edns=q.edns >= 0, rd=bool(q.flags & dns.flags.RD))
            c = cookie_of(q)
            if c is not None:
                ev["cookie"] = c.hex()
        with self.log_lock:
            self.log.write(json.dumps(ev) + "\n")
            self.log.flush()

    # -- building replies ----------------------------------------------------------------------

    def reply(self, q, proto):
        """The reply for this scenario, as a message, or None for no reply."""
        m = self.mode
        if m == "silent":
            return None
        if self.sc.get("fail_first") and self.fail_matches(q):
            with self.fail_lock:
                fail = self.failed < int(self.sc["fail_first"])
                if fail:
                    self.failed += 1
            if fail:
                rcode = self.sc.get("fail_rcode", "SERVFAIL")
                if rcode == "silent":
                    return None
                r = dns.message.make_response(q, our_payload=1232)
                r.set_rcode(dns.rcode.from_text(rcode))
                return r
        if m in ("refused", "servfail", "notimp"):
            r = dns.message.make_response(q, our_payload=1232)
            r.set_rcode({"refused": dns.rcode.REFUSED, "servfail": dns.rcode.SERVFAIL,
                         "notimp": dns.rcode.NOTIMP}[m])
            return r
        if m == "lame":
            return dns.message.make_response(q, our_payload=1232)
        if m == "referral":
            return referral_to(q, self.sc["referral"])
        if m == "formerr-edns" and q.edns >= 0:
            r = dns.message.make_response(q)
            r.use_edns(False)
            r.set_rcode(dns.rcode.FORMERR)
            return r
        if m == "tc-always" or (m == "tc" and proto == "udp"):
            r = dns.message.make_response(q, our_payload=1232)
            r.flags |= dns.flags.TC | dns.flags.AA
            return r
        if m == "lowercase":
            q = dns.message.from_wire(q.to_wire())
            q.question[0] = dns.rrset.RRset(q.question[0].name.canonicalize(),
                                            dns.rdataclass.IN, q.question[0].rdtype)
        r = self.auth.answer(q)
        if r.rcode() != dns.rcode.REFUSED:
            r.answer.extend(self.extra["answer"])
            r.authority.extend(self.extra["authority"])
            r.additional.extend(self.extra["additional"])
            if self.sc.get("dup_answer"):
                r.answer.extend(list(r.answer))
        return r

    def cookie_reply(self, q, proto, src):
        """The reply of cookie-required: BADCOOKIE, TC, or the normal one with the cookie."""
        c = cookie_of(q)
        if c is None or len(c) < 8:
            if proto == "tcp" or c is not None:
                return self.reply(q, proto)
            r = dns.message.make_response(q, our_payload=1232)
            r.flags |= dns.flags.TC | dns.flags.AA
            return r
        sc = server_cookie(c[:8], src)
        if proto == "udp" and c[8:] != sc:
            r = dns.message.make_response(q, our_payload=1232)
            r.set_rcode(23)  # BADCOOKIE
            return with_cookie(r, c[:8] + sc)
        r = self.reply(q, proto)
        return with_cookie(r, c[:8] + sc) if r is not None else None

    def fail_matches(self, q):
        m = self.sc.get("fail_match") or {}
        if "qname" in m and q.question[0].name != dns.name.from_text(m["qname"]):
            return False
        if "qtype" in m and q.question[0].rdtype != dns.rdatatype.from_text(m["qtype"]):
            return False
        return True

    def forged(self, q):
        r = dns.message.make_response(q, our_payload=1232)
        r.flags |= dns.flags.AA
        qname = q.question[0].name
        if self.mode == "spoof-id":
            r.id = q.id ^ 0x5A5A
        if self.mode in ("spoof-case", "spoof-flood"):
            r.question[0] = dns.rrset.RRset(swap_case(qname), dns.rdataclass.IN,
                                            q.question[0].rdtype)
            qname = swap_case(qname)
        r.answer.append(dns.rrset.from_text(qname, 3600, "IN", "A", FORGED_ADDR))
        c = cookie_of(q)
        if self.mode == "spoof-cookie" and c is not None and len(c) >= 8:
            with_cookie(r, bytes(b ^ 0xff for b in c[:8]) + server_cookie(c[:8], ("x",)))
        return r

    @staticmethod
    def to_wire(r, limit):
        """Wire form within limit bytes; too big: TC with the question only."""
        try:
            return r.to_wire(max_size=limit)
        except dns.exception.TooBig:
            t = dns.message.Message(id=r.id)
            t.flags = r.flags | dns.flags.TC
            t.set_rcode(r.rcode())
            t.question = list(r.question)
            if r.edns >= 0:
                t.use_edns(0, payload=r.payload)
            return t.to_wire()

    # -- UDP ---------------------------------------------------------------------------------------

    def serve_udp(self):
        while True:
            try:
                wire, src = self.udp.recvfrom(65535)
            except OSError:
                return
            threading.Thread(target=self.handle_udp, args=(wire, src), daemon=True).start()

    def received(self, proto, src, wire):
        """Parse and log one query, then wait the scenario's delay; None if it does not parse
        (logged all the same)."""
        try:
            q = dns.message.from_wire(wire)
        except Exception:
            self.record(proto, src, None, wire)
            return None
        self.record(proto, src, q, wire)
        delay = self.sc.get("delay_ms", 0) / 1000.0
        if delay:
            time.sleep(delay)
        return q

    def handle_udp(self, wire, src):
        q = self.received("udp", src, wire)
        if q is None or q.flags & dns.flags.QR or len(q.question) != 1:
            return
        c = cookie_of(q)
        if self.mode == "spoof-nocookie" and c is not None and len(c) > 8:
            self.udp.sendto(self.forged(q).to_wire(), src)
            time.sleep(self.sc.get("spoof_gap_ms", 30) / 1000.0)
        if self.mode == "junk-flood":
            junk_flood(self, wire, src)
        if self.mode in ("spoof-id", "spoof-port", "spoof-case", "spoof-cookie"):
            sock = self.other if self.mode == "spoof-port" else self.udp
            sock.sendto(self.forged(q).to_wire(), src)
            time.sleep(self.sc.get("spoof_gap_ms", 30) / 1000.0)
        if self.mode == "spoof-flood":
            return self.flood(q, src)
        if self.mode == "cookie-required":
            r = self.cookie_reply(q, "udp", src)
        elif self.mode in ("spoof-cookie", "spoof-nocookie"):
            r = self.reply(q, "udp")
            if r is not None and c is not None and len(c) >= 8:
                with_cookie(r, c[:8] + server_cookie(c[:8], src))
        else:
            r = self.reply(q, "udp")
        if r is None:
            return
        limit = max(512, q.payload) if q.edns >= 0 else 512
        self.udp.sendto(self.to_wire(r, limit), src)

    def flood(self, q, src):
        """spoof-flood: the forged answers at once, the real one after flood_delay_ms."""
        wire = self.forged(q).to_wire()
        for _ in range(int(self.sc.get("spoof_count", 20))):
            self.udp.sendto(wire, src)
        if self.sc.get("flood_silent"):
            return
        time.sleep(self.sc.get("flood_delay_ms", 0) / 1000.0)
        r = self.reply(q, "udp")
        if r is not None:
            limit = max(512, q.payload) if q.edns >= 0 else 512
            self.udp.sendto(self.to_wire(r, limit), src)

    # -- TCP ---------------------------------------------------------------------------------------

    def serve_tcp(self):
        while True:
            try:
                conn, src = self.tcp.accept()
            except OSError:
                return
            threading.Thread(target=self.handle_tcp, args=(conn, src), daemon=True).start()

    def handle_tcp(self, conn, src):
        conn.settimeout(30)
        try:
            while True:
                wire = read_msg(conn)
                if wire is None:
                    return
                q = self.received("tcp", src, wire)
                if q is None:
                    continue
                if self.mode == "cookie-required":
                    r = self.cookie_reply(q, "tcp", src)
                else:
                    r = self.reply(q, "tcp")
                if r is None:
                    continue  # silent: keep the connection open, say nothing
                out = self.to_wire(r, 65535)
                conn.sendall(frame(out))
        except OSError:
            return
        finally:
            conn.close()

    def start(self):
        fam = socket.AF_INET6 if ":" in self.addr else socket.AF_INET
        self.udp = socket.socket(fam, socket.SOCK_DGRAM)
        self.udp.bind((self.addr, self.port))
        self.other = socket.socket(fam, socket.SOCK_DGRAM)
        self.other.bind((self.addr, 0))
        threads = [threading.Thread(target=self.serve_udp, daemon=True)]
        if not self.sc.get("no_tcp"):
            self.tcp = socket.socket(fam, socket.SOCK_STREAM)
            self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.tcp.bind((self.addr, self.port))
            self.tcp.listen(64)
            threads.append(threading.Thread(target=self.serve_tcp, daemon=True))
        for t in threads:
            t.start()


def load_zones(specs, steps):
    """Zones from ORIGIN=FILE specs, then each (add, remove) step of steps in order: its remove
    list ("name TYPE": that RRset out of the zone that holds it), then its add list."""
    zones = {}
    for spec in specs:
        origin, _, path = spec.partition("=")
        if not path:
            raise SystemExit("--zone wants ORIGIN=FILE, got %r" % spec)
        o = dns.name.from_text(origin)
        zones[o] = dns.zone.from_file(path, origin=o, relativize=False)

    def holder(name):
        held = [z for o, z in zones.items() if name.is_subdomain(o)]
        if not held:
            raise SystemExit("no zone holds %s" % name)
        return max(held, key=lambda z: len(z.origin))

    for add, remove in steps:
        for text in remove:
            owner, rdtype = text.split()
            name = dns.name.from_text(owner)
            holder(name).delete_rdataset(name, dns.rdatatype.from_text(rdtype))
        for text in add:
            rrset = parse_rr(text)
            rds = holder(rrset.name).find_rdataset(rrset.name, rrset.rdtype, create=True)
            rds.update(dns.rdataset.from_rdata_list(rrset.ttl, list(rrset)))
    return zones


def steps_of(scenario):
    return [(scenario.get("add", []), scenario.get("remove", []))]


def junk_flood(server, wire, src):
    """Scenario junk-flood: the first query of the server is preceded by a bounded flood of junk
    replies (a tracing resolver must not grow a query's trace for each one). Later queries are
    answered normally."""
    with server.fail_lock:
        if getattr(server, "flooded", False):
            return
        server.flooded = True
    junk = bytearray(wire[:12])
    junk[0] ^= 0x5A
    junk[2] |= 0x80  # QR
    count = int(server.sc.get("junk_count", 20000))
    end = time.monotonic() + server.sc.get("junk_max_ms", 300) / 1000.0
    sent = 0
    while sent < count and time.monotonic() < end:
        try:
            server.udp.sendto(bytes(junk), src)
        except OSError:
            pass  # the asker's buffer is full: the flood goes on regardless
        sent += 1
    print("junk sent %d" % sent, file=sys.stderr, flush=True)


def next_scenario(scenario):
    """The scenario that scenario["then"] describes: its keys over the first ones; its zone
    data is the first one's with then's remove and add applied on top (see steps)."""
    then = dict(scenario.get("then") or {})
    sc = {k: v for k, v in scenario.items() if k not in ("then", "add", "remove")}
    sc.update({k: v for k, v in then.items() if k not in ("add", "remove")})
    sc["steps"] = steps_of(scenario) + steps_of(then)
    return sc


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--addr", required=True)
    p.add_argument("--port", type=int, default=53)
    p.add_argument("--zone", action="append", default=[], help="ORIGIN=FILE (repeatable)")
    p.add_argument("--scenario", default="{}", help="JSON object (see above)")
    p.add_argument("--log", help="file for one JSON line per query received")
    args = p.parse_args()
    try:
        ensure_isolated()
    except LabError as e:
        sys.exit("faultserver.py: %s" % e)
    scenario = json.loads(args.scenario)
    zones = load_zones(args.zone, steps_of(scenario))
    auth = Authority.for_scenario(zones, scenario)
    log = open(args.log, "a") if args.log else None
    srv = Server(args.addr, args.port, auth, scenario, log)
    srv.start()
    print("ready", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    signal.signal(signal.SIGINT, lambda *a: stop.set())

    def switch(*_):
        if "then" not in srv.sc:
            return
        sc = next_scenario(srv.sc)
        srv.switch(Authority.for_scenario(load_zones(args.zone, sc["steps"]), sc), sc)
        print("switched", flush=True)

    signal.signal(signal.SIGUSR1, switch)
    while not stop.wait(3600):
        pass
    sys.exit(0)


if __name__ == "__main__":
    main()
