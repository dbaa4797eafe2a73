#!/usr/bin/python3
"""The lab internet: a private DNS hierarchy of NSD servers, plus a resolver under test.

Library and command line. Everything here must already run inside a private network namespace
(scripts/in_lab.sh makes one); Lab.start() refuses to run anywhere else, so lab traffic can never
leave the machine.

    lab = Lab()                 # reads zones/lab.conf
    lab.start()                 # one NSD per server address, waits until each answers
    r = lab.start_rootwalkd()   # or lab.start_unbound()
    ...
    lab.stop()                  # stops every process it started

Command line (inside the namespace):
    lab.py check                       check the zone files and the table, start nothing
    lab.py run [opts] -- CMD ARGS...   start the lab and a resolver, run CMD, stop everything
    lab.py questions                   print the comparison questions generated from the zones
"""

import argparse
import json
import os
import select
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.zone

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ZONES = os.path.join(REPO, "zones")
ROOTWALKD_ADDR = "127.0.0.53"
# The scripted fault server's zone files (zones/fault/) and the origin each is checked under: the
# TLD, the data every scenario zone is loaded from (under an example origin), the parent zone of
# the DS test and the private root of the priming tests.
FAULT_ZONE_FILES = [("fault.", "fault.zone"), ("example.fault.", "generic.zone"),
                    ("dsparent.fault.", "dsparent.zone"), (".", "primeroot.zone")]
UNBOUND_ADDR = "127.0.0.54"
START_TIMEOUT = 10.0  # seconds a server gets to answer after it starts
STOP_TIMEOUT = 5.0    # seconds a process gets after SIGTERM before SIGKILL


class LabError(Exception):
    pass


def zone_file_name(zone):
    """File name of a zone in zones/: root.zone for the root, <zone>.zone otherwise."""
    zone = zone.rstrip(".")
    return "root.zone" if zone == "" else zone + ".zone"


def zone_origin(zone):
    zone = zone.rstrip(".")
    return "." if zone == "" else zone + "."


class Server:
    """One lab authoritative server: one name, one address, one NSD process."""

    def __init__(self, name, addr, zones):
        self.name = name
        self.addr = addr
        self.zones = [zone_origin(z) for z in zones]
        self.proc = None
        self.conf = None

    def __repr__(self):
        return "Server(%s %s %s)" % (self.name, self.addr, " ".join(self.zones))


def read_table(path=None):
    """Read zones/lab.conf: lines of 'server-name address zone...'; '#' starts a comment."""
    path = path or os.path.join(ZONES, "lab.conf")
    servers = []
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            line = line.split("#", 1)[0].split()
            if not line:
                continue
            if len(line) < 3:
                raise LabError("%s:%d: want 'server-name address zone...'" % (path, lineno))
            servers.append(Server(line[0], line[1], line[2:]))
    return servers


def net_interfaces():
    """Names of the network interfaces of this process's network namespace.

    /proc/net/dev follows the caller's namespace; /sys/class/net does not (it shows the namespace
    that mounted sysfs, i.e. the host's, even inside unshare -rn), so it must not be used here.
    """
    with open("/proc/net/dev") as f:
        return [line.split(":", 1)[0].strip() for line in f.readlines()[2:] if ":" in line]


def ensure_isolated():
    """Refuse to run unless this is a private network namespace holding only lo.

    The lab binds many 127.x addresses on port 53 and sends DNS traffic among them; inside a
    namespace made by unshare -rn nothing can leak, and there is no other interface to leak to.
    """
    links = net_interfaces()
    others = [l for l in links if l != "lo"]
    if others or not links:
        raise LabError("not in a private network namespace (interfaces: %s); run under "
                       "scripts/in_lab.sh" % " ".join(sorted(links)))
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)


def with_resolv_conf(addr, cmd, tmpdir):
    """argv that runs cmd with /etc/resolv.conf saying only "nameserver addr", for programs that
    use the system resolver (dig +trace looks up the name servers it is told about that way).

    The file is bind-mounted in a new mount namespace (unshare -m, whose mounts are private) made
    for cmd alone, inside the lab's network namespace: the host's file is never touched, and the
    rest of the lab keeps seeing the usual one. scripts/in_lab.sh --resolv-conf does the same
    for a whole session."""
    ensure_isolated()
    import ipaddress
    ipaddress.ip_address(addr)  # an address, nothing else, goes into the file
    # getaddrinfo(AI_ADDRCONFIG) asks for A records only if an IPv4 address other than
    # 127.0.0.1 is configured (scripts/in_lab.sh adds this one too; "replace" is idempotent).
    subprocess.run(["ip", "addr", "replace", "127.255.255.1/32", "dev", "lo"], check=True)
    fd, conf = tempfile.mkstemp(prefix="resolv-", suffix=".conf", dir=tmpdir)
    with os.fdopen(fd, "w") as f:
        f.write("nameserver %s\noptions timeout:2 attempts:1\n" % addr)
    os.chmod(conf, 0o644)
    script = 'mount --bind "$1" /etc/resolv.conf && shift && exec "$@"'
    return ["unshare", "-m", "sh", "-c", script, "sh", conf] + list(cmd)


def dns_ask(addr, qname, qtype, tcp=False, timeout=2.0, port=53, rd=False, payload=1232):
    """One query; returns the dns.message reply (raises on timeout)."""
    q = dns.message.make_query(qname, qtype, use_edns=0, payload=payload)
    if not rd:
        q.flags &= ~dns.flags.RD
    if tcp:
        return dns.query.tcp(q, addr, timeout=timeout, port=port)
    return dns.query.udp(q, addr, timeout=timeout, port=port)


def wait_answers(addr, qname, qtype="SOA", timeout=START_TIMEOUT, proc=None, rd=False, what=""):
    """Poll addr until it answers qname/qtype (any rcode counts), bounded by timeout seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise LabError("%s exited with status %s while starting" % (what or addr, proc.returncode))
        try:
            return dns_ask(addr, qname, qtype, timeout=0.3, rd=rd)
        except Exception as e:  # timeout, connection refused: not up yet
            last = e
            time.sleep(0.05)
    raise LabError("%s (%s) did not answer %s %s within %g s: %s"
                   % (what or "server", addr, qname, qtype, timeout, last))


def _proc_net_has(addr, port, tcp):
    """True if this namespace has a socket bound to addr:port (TCP: listening)."""
    import ipaddress
    ip = ipaddress.ip_address(addr)
    if ip.version == 4:
        files = ["/proc/net/tcp" if tcp else "/proc/net/udp"]
        # /proc/net shows IPv4 addresses as one little-endian 32-bit hex word.
        want = "%08X:%04X" % (int.from_bytes(ip.packed, "little"), port)
    else:
        files = ["/proc/net/tcp6" if tcp else "/proc/net/udp6"]
        words = [ip.packed[i:i + 4] for i in range(0, 16, 4)]
        want = "".join("%08X" % int.from_bytes(w, "little") for w in words) + ":%04X" % port
    for path in files:
        try:
            with open(path) as f:
                for line in f.readlines()[1:]:
                    fields = line.split()
                    if len(fields) > 3 and fields[1] == want and (not tcp or fields[3] == "0A"):
                        return True
        except FileNotFoundError:
            pass
    return False


def wait_listening(addr, port=53, timeout=START_TIMEOUT, proc=None, what=""):
    """Wait until something listens on addr:port over both UDP and TCP, bounded by timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise LabError("%s exited with status %s while starting" % (what or addr, proc.returncode))
        if _proc_net_has(addr, port, False) and _proc_net_has(addr, port, True):
            return
        time.sleep(0.02)
    raise LabError("%s did not listen on %s port %d (UDP and TCP) within %g s"
                   % (what or "server", addr, port, timeout))


def stop_process(proc, sig=signal.SIGTERM, timeout=STOP_TIMEOUT):
    """Stop one child: sig, then SIGKILL after timeout. Returns its exit status."""
    if proc is None:
        return None
    if proc.poll() is None:
        try:
            proc.send_signal(sig)
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=timeout)
    return proc.returncode


class Resolver:
    """A resolver process under test (rootwalkd or unbound)."""

    def __init__(self, kind, addr, proc, tmp, conf, stderr_path, trace_log=None, log=None):
        self.kind = kind
        self.addr = addr
        self.proc = proc
        self.tmp = tmp
        self.conf = conf
        self.stderr_path = stderr_path
        self.trace_log = trace_log
        self.log = log
        self.returncode = None

    def ask(self, qname, qtype="A", tcp=False, timeout=2.0, payload=1232):
        q = dns.message.make_query(qname, qtype, use_edns=0, payload=payload)
        if tcp:
            return dns.query.tcp(q, self.addr, timeout=timeout)
        return dns.query.udp(q, self.addr, timeout=timeout)

    def stderr(self):
        try:
            with open(self.stderr_path, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def stop(self, sig=signal.SIGTERM):
        if self.returncode is None:
            self.returncode = stop_process(self.proc, sig)
        return self.returncode


class FaultServer:
    """A scripted authoritative server (tests/faultserver.py) at one address, with the log of
    every query it received."""

    def __init__(self, addr, scenario, proc, log, stderr_path):
        self.addr = addr
        self.scenario = scenario
        self.proc = proc
        self.log = log
        self.stderr_path = stderr_path

    def __repr__(self):
        return "FaultServer(%s %s)" % (self.addr, self.scenario.get("mode", "normal"))

    def queries(self, since=0):
        """The queries received so far (dicts: t, proto, src, id, qname, qtype, edns, rd),
        from index since on (see mark())."""
        out = []
        try:
            with open(self.log) as f:
                for line in f:
                    if line.endswith("\n"):
                        out.append(json.loads(line))
        except FileNotFoundError:
            pass
        return out[since:]

    def mark(self):
        """Index for queries(since=...): only what arrives from now on."""
        return len(self.queries())

    def stderr(self):
        try:
            with open(self.stderr_path, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def stop(self):
        rc = stop_process(self.proc)
        if self.proc.stdout:
            self.proc.stdout.close()
        return rc


class Lab:
    def __init__(self, table=None, tmp=None, keep=False):
        self.servers = read_table(table)
        self.own_tmp = tmp is None
        self.tmp = tmp or tempfile.mkdtemp(prefix="rootwalk-lab-")
        self.keep = keep
        self.zonesdir = os.path.join(self.tmp, "zones")
        self.resolvers = []
        self.fault_servers = []
        self.started = False

    # -- authoritative servers ---------------------------------------------------------------

    def server(self, name):
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

    def _write_nsd_conf(self, s):
        d = os.path.join(self.tmp, "nsd", s.name)
        os.makedirs(d, exist_ok=True)
        lines = [
            "server:",
            "    ip-address: %s" % s.addr,
            "    port: 53",
            '    username: ""',
            '    chroot: ""',
            '    database: ""',
            "    zonesdir: %s" % self.zonesdir,
            "    pidfile: %s/nsd.pid" % d,
            "    xfrdfile: %s/xfrd.state" % d,
            "    xfrdir: %s" % d,
            "    zonelistfile: %s/zone.list" % d,
            "    cookie-secret-file: %s/cookiesecrets.txt" % d,
            "    logfile: %s/nsd.log" % d,
            "    server-count: 1",
            "    verbosity: 1",
            "    hide-version: yes",
            "    identity: %s" % s.name,
            "    refuse-any: no",
            # Debian builds NSD with response rate limiting (200 answers/s per source block);
            # every lab query comes from 127.0.0.0/8, so a load test would get SERVFAILs.
            "    rrl-ratelimit: 0",
            "    rrl-whitelist-ratelimit: 0",
            "remote-control:",
            "    control-enable: no",
        ]
        for z in s.zones:
            lines += ["zone:", "    name: %s" % z, "    zonefile: %s" % zone_file_name(z)]
        s.conf = os.path.join(d, "nsd.conf")
        s.dir = d
        with open(s.conf, "w") as f:
            f.write("\n".join(lines) + "\n")

    def start(self):
        """Copy zones/, write the NSD configs, start every server, wait until each answers."""
        ensure_isolated()
        if os.path.exists(self.zonesdir):
            shutil.rmtree(self.zonesdir)
        shutil.copytree(ZONES, self.zonesdir)
        self.started = True
        try:
            for s in self.servers:
                self._write_nsd_conf(s)
                self._spawn_nsd(s)
            for s in self.servers:
                wait_answers(s.addr, s.zones[0], "SOA", proc=s.proc, what="nsd " + s.name)
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
            if s.proc and s.proc.poll() is None:
                s.proc.send_signal(signal.SIGHUP)
        return targets

    def zone_serial(self, zone, server):
        """The SOA serial a server (name or address) answers for zone, or None."""
        try:
            m = dns_ask(self.server(server).addr, zone_origin(zone), "SOA", timeout=0.5)
        except Exception:
            return None
        for rrset in m.answer:
            if rrset.rdtype == dns.rdatatype.SOA:
                return rrset[0].serial
        return None

    def write_zone(self, zone, z):
        """Replace the lab's copy of zone by the dns.zone.Zone z with its serial raised above
        what the servers have now, and wait until they serve it (see write_zone_text).
        Returns the new serial."""
        origin = zone_origin(zone)
        old = max([self.zone_serial(origin, s.addr) or 0 for s in self.servers_of(origin)] + [0])
        soa = z.find_rdataset(origin, dns.rdatatype.SOA)
        serial = max(old, soa[0].serial) + 1
        z.replace_rdataset(origin, dns.rdataset.from_rdata(soa.ttl, soa[0].replace(serial=serial)))
        return self.write_zone_text(zone, z.to_text(relativize=False))

    def write_zone_text(self, zone, text, timeout=5.0):
        """Replace the lab's copy of zone by text (zone file format), make its servers reload
        (SIGHUP; a restart if that did not take) and wait until every server of the zone serves
        the serial in text. NSD takes a lower serial from a file too, so this also puts an
        original back. Returns the serial."""
        origin = zone_origin(zone)
        z = dns.zone.from_text(text, origin=origin, relativize=False)
        serial = z.find_rdataset(origin, dns.rdatatype.SOA)[0].serial
        path = self.zone_path(origin)
        with open(path + ".new", "w") as f:
            f.write(text)
        os.replace(path + ".new", path)
        for s in self.servers_of(origin):
            # A SIGHUP that arrives while NSD is still busy with an earlier reload (or with its
            # start) can be lost: send it again until the new serial is served.
            deadline = time.monotonic() + timeout / 2
            while time.monotonic() < deadline:
                self.hup(s.name)
                t = time.monotonic() + 0.25
                while self.zone_serial(origin, s.addr) != serial and time.monotonic() < t:
                    time.sleep(0.02)
                if self.zone_serial(origin, s.addr) == serial:
                    break
            if self.zone_serial(origin, s.addr) != serial:
                self.stop_server(s.name)  # NSD missed the change: start it afresh
                self.restart_server(s.name)
            if self.zone_serial(origin, s.addr) != serial:
                raise LabError("%s does not serve %s serial %d after a reload"
                               % (s.name, origin, serial))
        return serial

    def zone_text(self, zone):
        """The lab's current copy of zone, as text."""
        with open(self.zone_path(zone)) as f:
            return f.read()

    def read_zone(self, zone):
        """The lab's current copy of zone as a dns.zone.Zone (absolute names)."""
        origin = zone_origin(zone)
        return dns.zone.from_file(self.zone_path(origin), origin=origin, relativize=False)

    def _spawn_nsd(self, s):
        with open(os.path.join(s.dir, "stderr"), "a") as log:
            s.proc = subprocess.Popen(["nsd", "-d", "-c", s.conf], stdin=subprocess.DEVNULL,
                                      stdout=log, stderr=subprocess.STDOUT)

    def stop_server(self, name):
        """Stop one server (by name or address): it stops answering, like a dead host."""
        s = self.server(name)
        stop_process(s.proc)

    def restart_server(self, name):
        """Start a stopped server again and wait until it answers."""
        s = self.server(name)
        if s.proc is not None and s.proc.poll() is None:
            return
        ensure_isolated()
        self._spawn_nsd(s)
        wait_answers(s.addr, s.zones[0], "SOA", proc=s.proc, what="nsd " + s.name)

    # -- scripted fault servers -------------------------------------------------------------------

    def start_fault_server(self, addr, zones=None, scenario=None, timeout=START_TIMEOUT):
        """Start tests/faultserver.py at addr@53. zones: {origin: file}, the file relative to
        zones/fault/ (default: generic.zone). scenario: its behaviour (see faultserver.py).
        Waits until its sockets are bound; stopped by stop() or its own stop()."""
        ensure_isolated()
        scenario = dict(scenario or {})
        d = tempfile.mkdtemp(prefix="fault-%s-" % addr, dir=self.tmp)
        log = os.path.join(d, "queries.jsonl")
        # The same Python as this one: it has dnspython (lab.py imports it too).
        cmd = [sys.executable, os.path.join(REPO, "tests", "faultserver.py"),
               "--addr", addr, "--log", log, "--scenario", json.dumps(scenario)]
        for origin, f in (zones or {}).items():
            cmd += ["--zone", "%s=%s" % (zone_origin(origin),
                                         os.path.join(ZONES, "fault", f or "generic.zone"))]
        stderr_path = os.path.join(d, "stderr")
        with open(stderr_path, "w") as err:
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=err)
        fs = FaultServer(addr, scenario, proc, log, stderr_path)
        self.fault_servers.append(fs)
        ready, _, _ = select.select([proc.stdout], [], [], timeout)
        line = proc.stdout.readline() if ready else b""
        if line.strip() != b"ready":
            stop_process(proc)
            raise LabError("fault server %s did not start: %s" % (addr, fs.stderr()[-2000:]))
        return fs

    # -- resolvers -----------------------------------------------------------------------------

    def start_rootwalkd(self, addr=ROOTWALKD_ADDR, trace_format="json", extra="", binary=None,
                        name=None, wait=True, root_hints=None, env=None):
        """Start rootwalkd on addr@53 with the lab root hints (or root_hints, a file that must
        name lab addresses only) and a trace log in the temp dir. extra: more config lines;
        env: more environment variables."""
        ensure_isolated()
        binary = binary or os.environ.get("ROOTWALKD") or os.path.join(
            REPO, "build", "src", "daemon", "rootwalkd")
        binary = os.path.abspath(binary)
        if not os.access(binary, os.X_OK):
            raise LabError("no rootwalkd binary at %s (set ROOTWALKD or build it)" % binary)
        d = tempfile.mkdtemp(prefix=(name or "rootwalkd") + "-", dir=self.tmp)
        trace = os.path.join(d, "trace.log")
        conf = os.path.join(d, "rootwalkd.conf")
        with open(conf, "w") as f:
            f.write("# rootwalkd in the lab (written by scripts/lab.py)\n"
                    "listen: %s@53\n"
                    "root-hints: %s\n"
                    "do-not-query-localhost: no\n"
                    "trace-log: %s\n"
                    "trace-format: %s\n%s"
                    % (addr, root_hints or os.path.join(REPO, "zones", "root.hints"), trace,
                       trace_format, extra))
        stderr_path = os.path.join(d, "stderr")
        with open(stderr_path, "w") as err:
            proc = subprocess.Popen([binary, "-c", conf], stdin=subprocess.DEVNULL,
                                    stdout=err, stderr=subprocess.STDOUT,
                                    env=dict(os.environ, **env) if env else None)
        r = Resolver("rootwalkd", addr, proc, d, conf, stderr_path, trace_log=trace)
        self.resolvers.append(r)
        if wait:
            self._wait_resolver(r)
        return r

    def start_unbound(self, addr=UNBOUND_ADDR, wait=True):
        """Start Unbound (iterator only, no DNSSEC) on addr@53 with the lab root hints."""
        ensure_isolated()
        d = tempfile.mkdtemp(prefix="unbound-", dir=self.tmp)
        conf = os.path.join(d, "unbound.conf")
        log = os.path.join(d, "unbound.log")
        with open(conf, "w") as f:
            f.write("\n".join([
                "server:",
                "    interface: %s" % addr,
                "    port: 53",
                "    do-ip6: no",
                "    do-not-query-localhost: no",
                "    root-hints: %s" % os.path.join(REPO, "zones", "root.hints"),
                '    username: ""',
                '    chroot: ""',
                "    directory: %s" % d,
                "    pidfile: %s/unbound.pid" % d,
                "    do-daemonize: no",
                "    use-syslog: no",
                "    logfile: %s" % log,
                "    verbosity: 1",
                "    num-threads: 1",
                '    module-config: "iterator"',
                "    qname-minimisation: yes",
                "    access-control: 127.0.0.0/8 allow",
                "    edns-buffer-size: 1232",
                # Unbound answers the reverse zones of the documentation prefixes itself
                # (RFC 6303 style default local zones); the lab serves them for real.
                '    local-zone: "2.0.192.in-addr.arpa." nodefault',
                '    local-zone: "100.51.198.in-addr.arpa." nodefault',
                '    local-zone: "113.0.203.in-addr.arpa." nodefault',
                '    local-zone: "8.b.d.0.1.0.0.2.ip6.arpa." nodefault',
                "    outgoing-range: 64",
                "    num-queries-per-thread: 32",
                "remote-control:",
                "    control-enable: no",
            ]) + "\n")
        stderr_path = os.path.join(d, "stderr")
        with open(stderr_path, "w") as err:
            proc = subprocess.Popen(["unbound", "-d", "-c", conf], stdin=subprocess.DEVNULL,
                                    stdout=err, stderr=subprocess.STDOUT)
        r = Resolver("unbound", addr, proc, d, conf, stderr_path, log=log)
        self.resolvers.append(r)
        if wait:
            self._wait_resolver(r)
        return r

    def _wait_resolver(self, r):
        """Wait until a resolver can take queries; on failure kill it and show its output."""
        try:
            if r.kind == "rootwalkd":
                # Only wait for its sockets: a query would warm its cache and put a trace in the
                # log before the caller's first (cold) query.
                wait_listening(r.addr, 53, proc=r.proc, what=r.kind)
            else:
                wait_answers(r.addr, ".", "SOA", proc=r.proc, rd=True, what=r.kind)
        except LabError as e:
            r.stop(signal.SIGKILL)
            raise LabError("%s did not start (%s); its output:\n%s"
                           % (r.kind, e, r.stderr()[-4000:]))

    # -- teardown ------------------------------------------------------------------------------

    def stop(self):
        """Stop every resolver and server this lab started (resolvers first)."""
        for r in self.resolvers:
            r.stop()
        for fs in self.fault_servers:
            fs.stop()
        for s in self.servers:
            stop_process(s.proc)
        if self.own_tmp and not self.keep:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


# -- questions generated from the zone data ---------------------------------------------------

SKIP_QUESTIONS = set()
# The middle links of the long CNAME chains in example.org/example.net add nothing the first
# link does not already ask; only c11-1 and c12-1 (and the loop) are compared.
SKIP_OWNERS = re.compile(r"^c1[12]-([2-9]|1[0-2])\.")


def load_zones():
    """All lab zones as {origin: dns.zone.Zone}, from the repository's zones/."""
    out = {}
    for s in read_table():
        for z in s.zones:
            if z not in out:
                out[z] = dns.zone.from_file(os.path.join(ZONES, zone_file_name(z)), origin=z,
                                            relativize=False)
    return out


def questions():
    """Questions for comparing resolvers, generated from the zone files.

    Every (owner, type) with authoritative data in a zone, plus per zone one NXDOMAIN name and,
    per owner, one type it lacks (NODATA) or, for an alias, type A (the chain is followed), plus
    the lame delegation (SERVFAIL everywhere), DS at and below every zone cut, and a fixed list
    of edge cases (the root's data, a TLD that does not exist, names below an alias, an empty
    non-terminal, an unknown type, a question in mixed case, the special-use and locally served
    zones).
    Owners below a zone cut (glue, delegation NS in the parent) are left to the child zone.
    """
    zones = load_zones()
    qs = []
    seen = set()

    def add(name, rdtype):
        key = (str(name).lower(), rdtype)
        if key not in seen:
            seen.add(key)
            qs.append(key)

    for origin, zone in sorted(zones.items()):
        cuts = [n for n, node in zone.nodes.items()
                if n != zone.origin and node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.NS)]
        for name, node in sorted(zone.nodes.items()):
            if any(name.is_subdomain(c) for c in cuts):
                continue  # delegation or glue: the child zone answers for it
            types = [rds.rdtype for rds in node.rdatasets]
            for t in types:
                add(name, dns.rdatatype.to_text(t))
            if dns.rdatatype.CNAME in types:
                add(name, "A")  # follow the alias (possibly into another zone)
            else:
                missing = "SRV" if dns.rdatatype.SRV not in types else "HINFO"
                add(name, missing)
        add(dns.name.from_text("nope", zone.origin) if origin != "." else "nope-tld.", "A")
    add("lame.com.", "A")
    add("www.lame.com.", "A")
    add("does-not-exist.video-platform.com.", "AAAA")
    add("deep.name.under.nothing.example.org.", "A")
    # Questions whose answer comes from somewhere other than the owner's zone, or none: DS at
    # and below every delegation (the parent answers, RFC 4035 3.1.4.1), the root's own data,
    # a TLD that does not exist, names below an alias, an empty non-terminal, a type no
    # library names, a question in mixed case.
    for origin, zone in sorted(zones.items()):
        if origin != ".":
            add(origin, "DS")
            add(dns.name.from_text("nope", zone.origin), "DS")
    for name, rdtype in [(".", "DS"), (".", "SOA"), ("foo.invalidtld.", "A"),
                         ("invalidtld.", "NS"), ("x.www.video-platform.com.", "A"),
                         ("x.cdn.video-platform.com.", "A"), ("www.video-platform.com.", "SOA"),
                         ("www.video-platform.com.", "MX"), ("ftp.example.org.", "MX"),
                         ("a.b.c.d.e.f.g.video-platform.com.", "A"), ("gtld-servers.net.", "A"),
                         ("video-platform.com.", "TYPE65534"), ("com.", "A"),
                         ("WwW.ViDeO-PlAtFoRm.CoM.", "A"),
                         # special-use and locally served zones, answered without the root
                         ("localhost.", "A"), ("localhost.", "AAAA"), ("localhost.", "MX"),
                         ("a.localhost.", "A"), ("a.localhost.", "SOA"),
                         ("1.0.0.127.in-addr.arpa.", "PTR"), ("2.0.0.127.in-addr.arpa.", "PTR"),
                         ("0.0.127.in-addr.arpa.", "PTR"), ("invalid.", "A"),
                         ("x.invalid.", "A"), ("test.", "SOA"), ("x.test.", "A"),
                         ("abc.onion.", "A"), ("home.arpa.", "A"), ("x.home.arpa.", "A"),
                         ("1.1.168.192.in-addr.arpa.", "PTR"), ("1.1.31.172.in-addr.arpa.", "PTR"),
                         ("1.1.32.172.in-addr.arpa.", "PTR"), ("10.in-addr.arpa.", "SOA"),
                         ("1.d.f.ip6.arpa.", "PTR"), ("testy.", "A")]:
        key = (name if name != name.lower() else name.lower(), rdtype)
        if key not in seen:
            seen.add(key)
            qs.append(key)
    return [q for q in qs if q not in SKIP_QUESTIONS and not SKIP_OWNERS.match(q[0])]


# -- command line --------------------------------------------------------------------------------

def cmd_run(args):
    lab = Lab(keep=args.keep)
    try:
        lab.start()
        env = dict(os.environ, LAB_TMP=lab.tmp, LAB_ZONES=lab.zonesdir)
        if args.resolver in ("rootwalkd", "both"):
            r = lab.start_rootwalkd(trace_format=args.trace_format)
            env.update(RESOLVER=r.addr, ROOTWALKD_ADDR=r.addr, TRACE_LOG=r.trace_log,
                       ROOTWALKD_STDERR=r.stderr_path)
        if args.resolver in ("unbound", "both"):
            u = lab.start_unbound()
            env.update(UNBOUND_ADDR=u.addr)
            env.setdefault("RESOLVER", u.addr)
        if not args.cmd:
            raise LabError("nothing to run: lab.py run [options] -- CMD ARGS...")
        cmd = args.cmd[1:] if args.cmd[0] == "--" else args.cmd
        try:
            return subprocess.run(cmd, env=env, timeout=args.timeout).returncode
        except subprocess.TimeoutExpired:
            print("lab.py: %s ran longer than %d s; stopped" % (cmd[0], args.timeout),
                  file=sys.stderr)
            return 124
    finally:
        lab.stop()
        if args.keep:
            print("lab.py: kept %s (configs, logs, traces)" % lab.tmp, file=sys.stderr)


def cmd_check(args):
    ok = True
    for s in read_table():
        for z in s.zones:
            path = os.path.join(ZONES, zone_file_name(z))
            r = subprocess.run(["nsd-checkzone", z, path], capture_output=True, text=True)
            if r.returncode != 0:
                ok = False
            sys.stdout.write(r.stdout + r.stderr)
    for z, f in FAULT_ZONE_FILES:
        r = subprocess.run(["nsd-checkzone", z, os.path.join(ZONES, "fault", f)],
                           capture_output=True, text=True)
        ok = ok and r.returncode == 0
        sys.stdout.write(r.stdout + r.stderr)
    return 0 if ok else 1


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="start the lab and a resolver, run a command, stop everything")
    run.add_argument("--resolver", choices=["rootwalkd", "unbound", "both", "none"],
                     default="rootwalkd")
    run.add_argument("--trace-format", choices=["text", "json"], default="text")
    run.add_argument("--timeout", type=int, default=300, help="seconds CMD may run (default 300)")
    run.add_argument("--keep", action="store_true", help="keep the temp dir (logs, traces)")
    run.add_argument("cmd", nargs=argparse.REMAINDER)
    sub.add_parser("check", help="check the zone files with nsd-checkzone")
    sub.add_parser("questions", help="print the generated comparison questions")
    args = p.parse_args(argv)
    try:
        if args.command == "run":
            return cmd_run(args)
        if args.command == "check":
            return cmd_check(args)
        if args.command == "questions":
            for name, t in questions():
                print(name, t)
            return 0
    except LabError as e:
        print("lab.py: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    # Stop the lab on SIGTERM/SIGINT too: turn them into an exception that unwinds cmd_run.
    def _stop(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, _stop)
    sys.exit(main())
