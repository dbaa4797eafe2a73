"""NSD, the lab's authoritative servers: one process per server address, configured to run
unprivileged in a temporary directory (no user switch, no chroot, no database, remote control
off), listening only on its own address."""

import os
import re
import signal
import time

import dns.rdatatype

from rwlab import START_TIMEOUT, LabError
from rwlab.dnsq import ask, wait_answers
from rwlab.procs import Proc, wait_started


def conf_text(name, addr, zones, zonesdir, d):
    """nsd.conf for one server: zones is [(origin, file relative to zonesdir)]; d holds its
    state and log files."""
    lines = [
        "server:",
        "    ip-address: %s" % addr,
        "    port: 53",
        '    username: ""',
        '    chroot: ""',
        '    database: ""',
        "    zonesdir: %s" % zonesdir,
        "    pidfile: %s/nsd.pid" % d,
        "    xfrdfile: %s/xfrd.state" % d,
        "    xfrdir: %s" % d,
        "    zonelistfile: %s/zone.list" % d,
        "    cookie-secret-file: %s/cookiesecrets.txt" % d,
        "    logfile: %s/nsd.log" % d,
        "    server-count: 1",
        "    verbosity: 1",
        "    hide-version: yes",
        "    identity: %s" % name,
        "    refuse-any: no",
        # Debian builds NSD with response rate limiting (200 answers/s per source block);
        # every lab query comes from 127.0.0.0/8, so a load test would get SERVFAILs.
        "    rrl-ratelimit: 0",
        "    rrl-whitelist-ratelimit: 0",
        "remote-control:",
        "    control-enable: no",
    ]
    for origin, f in zones:
        lines += ["zone:", "    name: %s" % origin, "    zonefile: %s" % f]
    return "\n".join(lines) + "\n"


class Server:
    """One authoritative server: one name, one address, its zones [(origin, file)], and while
    it runs one NSD process."""

    def __init__(self, name, addr, zones):
        self.name = name
        self.addr = addr
        self.files = list(zones)
        self.zones = [origin for origin, _ in self.files]
        self.proc = None
        self.conf = None
        self.dir = None

    def __repr__(self):
        return "Server(%s %s %s)" % (self.name, self.addr, " ".join(self.zones))

    def configure(self, d, zonesdir):
        """Write its nsd.conf into directory d (made if needed), zone files from zonesdir."""
        os.makedirs(d, exist_ok=True)
        self.dir = d
        self.conf = os.path.join(d, "nsd.conf")
        with open(self.conf, "w") as f:
            f.write(conf_text(self.name, self.addr, self.files, zonesdir, d))
        return self.conf

    def start(self):
        """Start NSD (in the foreground, its output appended to DIR/stderr); see wait()."""
        self.proc = Proc(["nsd", "-d", "-c", self.conf], os.path.join(self.dir, "stderr"),
                         name="nsd " + self.name, append=True)
        return self

    def wait(self, timeout=START_TIMEOUT):
        """Wait until it answers for its first zone (at most timeout seconds)."""
        wait_started(self.proc, lambda: wait_answers(
            self.addr, self.zones[0], "SOA", timeout=timeout, proc=self.proc, what=self.proc.name))

    def running(self):
        return self.proc is not None and self.proc.alive()

    def stop(self):
        """Stop it (like a dead host: its address stops answering); returns its exit status."""
        return self.proc.stop() if self.proc is not None else None

    def hup(self):
        """Make it re-read its zone files (SIGHUP)."""
        if self.running():
            self.proc.send_signal(signal.SIGHUP)

    def serial(self, zone):
        """The SOA serial it answers for zone, or None."""
        try:
            m = ask(self.addr, zone, "SOA", rd=False, timeout=0.5)
        except Exception:
            return None
        for rrset in m.answer:
            if rrset.rdtype == dns.rdatatype.SOA:
                return rrset[0].serial
        return None

    def query_count(self, timeout=10):
        """Queries received so far: NSD's BIND8-style RQ counter, which it writes into its log
        on SIGUSR1 (waited for, at most timeout seconds)."""
        logfile = os.path.join(self.dir, "nsd.log")

        def stats_lines():
            try:
                with open(logfile) as f:
                    return [l for l in f if " XSTATS " in l]
            except OSError:
                return []
        before = len(stats_lines())
        self.proc.send_signal(signal.SIGUSR1)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            lines = stats_lines()
            if len(lines) > before:
                m = re.search(r"\bRQ=(\d+)", lines[-1])
                if not m:
                    raise LabError("no RQ= in NSD stats line: %s" % lines[-1])
                return int(m.group(1))
            time.sleep(0.05)
        raise LabError("%s wrote no statistics within %d s" % (self.proc.name, timeout))
