"""The lab internet: every server of zones/lab.conf (one NSD per address, serving a private copy
of zones/), and the resolvers and fault servers started on it; everything it started, it stops.

    lab = Lab()                 # reads zones/lab.conf (and zones/dnssec.conf)
    lab.start()                 # signs the zones (new keys), one NSD per server address,
                                # waits until each answers; lab.trust_anchor: the root's DS
    r = lab.start_rootwalkd()   # or lab.start_unbound(), lab.start_fault_server(...)
    ...
    lab.stop()                  # stops every process it started
"""

import os
import shutil
import socket
import tempfile
import time
from contextlib import contextmanager

import dns.rdatatype
import dns.zone

from rwlab import ROOT_HINTS, ROOTWALKD_ADDR, START_TIMEOUT, UNBOUND_ADDR, ZONES, LabError
from rwlab import dnsdist, faults, resolvers
from rwlab.isolate import ensure_isolated
from rwlab.signing import Signer
from rwlab.zonefiles import read_table, set_soa, zone_file_name, zone_origin


class Lab:
    def __init__(self, table=None, tmp=None, keep=False, sign=True):
        self.servers = read_table(table)
        self.own_tmp = tmp is None
        self.tmp = tmp or tempfile.mkdtemp(prefix="rootwalk-lab-")
        self.keep = keep
        self.zonesdir = os.path.join(self.tmp, "zones")
        self.resolvers = []
        self.fault_servers = []
        self.started = False
        # DNSSEC (see rwlab.signing): with sign, start() signs the lab's copy of the zones as
        # zones/dnssec.conf says; the trust anchor files are then in tmp/dnssec/.
        self.sign = sign
        self.signer = None
        self.trust_anchor = None       # the root's DS, zone-file format (trust-anchor-file:)
        self.trust_anchor_key = None   # the root's DNSKEY, zone-file format
        self.delv_anchor = None        # a trust-anchors { } block for delv -a

    # -- authoritative servers ---------------------------------------------------------------

    def server(self, name):
        """A server by name or address."""
        for s in self.servers:
            if s.name == name or s.addr == name:
                return s
        raise KeyError(name)

    def servers_of(self, zone):
        zone = zone_origin(zone)
        return [s for s in self.servers if zone in s.zones]

    def zone_path(self, zone):
        """Path of the lab's private copy of a zone file (tests may edit it, then hup())."""
        return os.path.join(self.zonesdir, zone_file_name(zone))

    def start(self):
        """Copy zones/, sign them (unless sign=False), write the NSD configs, start every
        server, wait until each answers."""
        ensure_isolated()
        if os.path.exists(self.zonesdir):
            shutil.rmtree(self.zonesdir)
        shutil.copytree(ZONES, self.zonesdir)
        if self.sign:
            d = os.path.join(self.tmp, "dnssec")
            if os.path.exists(d):
                shutil.rmtree(d)
            self.signer = Signer(self.zonesdir, d).sign_all(
                {z for s in self.servers for z in s.zones})
            self.trust_anchor = self.signer.anchor_ds
            self.trust_anchor_key = self.signer.anchor_key
            self.delv_anchor = self.signer.anchor_delv
        self.started = True
        try:
            for s in self.servers:
                s.configure(os.path.join(self.tmp, "nsd", s.name), self.zonesdir)
                s.start()
            for s in self.servers:
                s.wait()
        except BaseException:
            self.stop()
            raise
        return self

    def hup(self, zone_or_server=None):
        """Make NSD re-read changed zone files (SIGHUP): every server holding the zone, or one
        server by name or address, or all servers."""
        if zone_or_server is None:
            targets = self.servers
        else:
            try:
                targets = [self.server(zone_or_server)]
            except KeyError:
                targets = self.servers_of(zone_or_server)
        for s in targets:
            s.hup()
        return targets

    def zone_serial(self, zone, server):
        """The SOA serial a server (name or address) answers for zone, or None."""
        return self.server(server).serial(zone_origin(zone))

    def stop_server(self, name):
        """Stop one server (by name or address): it stops answering, like a dead host."""
        self.server(name).stop()

    def restart_server(self, name):
        """Start a stopped server again and wait until it answers."""
        s = self.server(name)
        if s.running():
            return
        ensure_isolated()
        s.start()
        s.wait()

    @contextmanager
    def silenced(self, name):
        """A server (by name or address) replaced by a black hole: its address takes UDP
        packets and TCP connections and never answers. Yields the address; the server is
        started again after."""
        s = self.server(name)
        self.stop_server(name)
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            udp.bind((s.addr, 53))
            tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            tcp.bind((s.addr, 53))
            tcp.listen(16)
            yield s.addr
        finally:
            udp.close()
            tcp.close()
            self.restart_server(name)

    # -- zone data -------------------------------------------------------------------------------

    def zone_text(self, zone):
        """The lab's current copy of zone, as text."""
        with open(self.zone_path(zone)) as f:
            return f.read()

    def signed(self, zone):
        """True if the lab signed zone (see rwlab.signing)."""
        return self.signer is not None and self.signer.signs(zone)

    def read_zone(self, zone):
        """The lab's current copy of zone as a dns.zone.Zone (absolute names); of a signed
        zone, its data before signing (with its children's DS), which write_zone signs."""
        origin = zone_origin(zone)
        if self.signed(origin):
            return dns.zone.from_text(self.signer.unsigned_text(origin), origin=origin,
                                      relativize=False)
        return dns.zone.from_file(self.zone_path(origin), origin=origin, relativize=False)

    def write_zone(self, zone, z, servers=None):
        """Replace the lab's copy of zone by the dns.zone.Zone z (signed again with the zone's
        key if the lab signed it) with its serial raised above what the servers have now, and
        wait until they serve it (see write_zone_text; servers: only these reload). Returns the
        new serial."""
        origin = zone_origin(zone)
        old = max([s.serial(origin) or 0 for s in self.servers_of(origin)] + [0])
        soa = z.find_rdataset(origin, dns.rdatatype.SOA)
        set_soa(z, serial=max(old, soa[0].serial) + 1)
        text = z.to_text(relativize=False)
        if self.signed(origin):
            text = self.signer.sign_text(origin, text)
        return self.write_zone_text(zone, text, servers=servers)

    def write_zone_text(self, zone, text, timeout=5.0, servers=None):
        """Replace the lab's copy of zone by text (zone file format), make its servers reload
        (SIGHUP; a restart if that did not take) and wait until every server of the zone serves
        the serial in text. NSD takes a lower serial from a file too, so this also puts an
        original back. servers (names or addresses): only these reload; the others keep
        serving what they loaded before, like secondaries that missed the change (until their
        next reload). A server that serves the zone from a file of its own (lab.conf
        zone=file) is left alone. Returns the serial."""
        origin = zone_origin(zone)
        z = dns.zone.from_text(text, origin=origin, relativize=False)
        serial = z.find_rdataset(origin, dns.rdatatype.SOA)[0].serial
        path = self.zone_path(origin)
        with open(path + ".new", "w") as f:
            f.write(text)
        os.replace(path + ".new", path)
        # A server with its own file for the zone (lab.conf zone=file) does not read this one.
        own = zone_file_name(origin)
        targets = [s for s in self.servers_of(origin) if dict(s.files)[origin] == own] \
            if servers is None else [self.server(n) for n in servers]
        for s in targets:
            # A SIGHUP that arrives while NSD is still busy with an earlier reload (or with its
            # start) can be lost: send it again until the new serial is served.
            deadline = time.monotonic() + timeout / 2
            while time.monotonic() < deadline:
                s.hup()
                t = time.monotonic() + 0.25
                while s.serial(origin) != serial and time.monotonic() < t:
                    time.sleep(0.02)
                if s.serial(origin) == serial:
                    break
            if s.serial(origin) != serial:
                self.stop_server(s.name)  # NSD missed the change: start it afresh
                self.restart_server(s.name)
            if s.serial(origin) != serial:
                raise LabError("%s does not serve %s serial %d after a reload"
                               % (s.name, origin, serial))
        return serial

    @contextmanager
    def zone_edits(self, zone):
        """Yields change(edit): edit(z) changes a dns.zone.Zone holding the lab's copy of zone;
        the servers of the zone then serve it (new serial). The original data is put back
        after."""
        original = self.zone_text(zone)
        unsigned = self.signer.unsigned_text(zone) if self.signed(zone) else None

        def change(edit):
            z = self.read_zone(zone)
            edit(z)
            return self.write_zone(zone, z)

        try:
            yield change
        finally:
            if unsigned is not None:
                self.signer.keep_unsigned(zone, unsigned)
            self.write_zone_text(zone, original)

    # -- scripted fault servers -------------------------------------------------------------------

    def start_fault_server(self, addr, zones=None, scenario=None, timeout=START_TIMEOUT):
        """Start tests/faultserver.py at addr@53 (see faults.start); stopped by stop() or its own
        stop()."""
        fs = faults.start(self.tmp, addr, zones, scenario, timeout)
        self.fault_servers.append(fs)
        return fs

    # -- resolvers -----------------------------------------------------------------------------

    def start_rootwalkd(self, addr=ROOTWALKD_ADDR, trace_format="json", extra="", binary=None,
                        name=None, wait=True, root_hints=None, env=None):
        """Start rootwalkd on addr@53 with the lab root hints (or root_hints, a file that must
        name lab addresses only) and a trace log in the temp dir, and the lab's trust anchor
        (or "dnssec: no" with root_hints: see rootwalkd_dnssec). extra: more config lines
        (with a dnssec: or trust-anchor-file: line of its own, the lab adds none); env: more
        environment variables."""
        d = tempfile.mkdtemp(prefix=(name or "rootwalkd") + "-", dir=self.tmp)
        trace = os.path.join(d, "trace.log")
        binary = binary or resolvers.rootwalkd_binary()
        # The lab's DNSSEC line, unless extra sets DNSSEC keys of its own.
        own = [l for l in extra.splitlines()
               if l.strip().split(":", 1)[0] in ("dnssec", "trust-anchor-file")]
        dnssec = "" if own else self.rootwalkd_dnssec(binary, root_hints)
        conf = resolvers.rootwalkd_conf(addr, root_hints or ROOT_HINTS, trace, trace_format,
                                        dnssec + extra, by="scripts/rwlab")
        r = resolvers.start_rootwalkd(d, conf, addr, binary=binary, trace_log=trace, env=env,
                                      wait=False)
        self.resolvers.append(r)
        if wait:
            resolvers.wait_ready(r)
        return r

    def rootwalkd_dnssec(self, binary, root_hints=None):
        """The DNSSEC lines of a lab rootwalkd.conf: with the lab's root hints (root_hints None
        or ROOT_HINTS) and a signed lab, the lab's trust anchor; with other root hints (a test's
        own root, which is not the signed lab root) or an unsigned lab, "dnssec: no". Only the
        lines the binary accepts (one without the validator has neither key)."""
        own_root = root_hints is not None and os.path.abspath(root_hints) != ROOT_HINTS
        if self.trust_anchor and not own_root:
            line = "trust-anchor-file: %s" % self.trust_anchor
        else:
            line = "dnssec: no"
        return line + "\n" if resolvers.rootwalkd_accepts_cached(binary, [line]) else ""

    def start_unbound(self, addr=UNBOUND_ADDR, wait=True, validate=False):
        """Start Unbound on addr@53 with the lab root hints: an iterator without DNSSEC like
        rootwalkd, or with validate a validating one with the lab's trust anchor (see
        resolvers.unbound_conf)."""
        d = tempfile.mkdtemp(prefix="unbound-", dir=self.tmp)
        if validate and not self.trust_anchor:
            raise LabError("a validating Unbound needs a signed lab")
        conf = resolvers.unbound_conf(d, addr, lines=resolvers.UNBOUND_LAB_LINES,
                                      trust_anchor=self.trust_anchor if validate else None)
        r = resolvers.start_unbound(d, conf, addr, wait=None)
        self.resolvers.append(r)
        if wait:
            resolvers.wait_ready(r, "answers")
        return r

    def start_dnsdist(self, addr, backends, **kw):
        """Start dnsdist on addr@53 in front of backends, [(name, address)] (see rwlab.dnsdist:
        chashed, health checks; kw: its conf() options); stopped by stop() or its own stop()."""
        r = dnsdist.start(tempfile.mkdtemp(prefix="dnsdist-", dir=self.tmp), addr, backends, **kw)
        self.resolvers.append(r)
        return r

    # -- teardown ------------------------------------------------------------------------------

    def stop(self):
        """Stop every resolver and server this lab started (resolvers first)."""
        for r in self.resolvers:
            r.stop()
        for fs in self.fault_servers:
            fs.stop()
        for s in self.servers:
            s.stop()
        if self.own_tmp and not self.keep:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
