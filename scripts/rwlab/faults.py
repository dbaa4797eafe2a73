"""The scripted authoritative servers (tests/faultserver.py) under the fault. TLD: one process
per address, its behaviour chosen by a JSON scenario, every query it receives logged."""

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile

from rwlab import REPO, START_TIMEOUT, ZONES, LabError
from rwlab.isolate import ensure_isolated
from rwlab.procs import Proc, read_line, read_text
from rwlab.zonefiles import zone_origin

FAULTSERVER = os.path.join(REPO, "tests", "faultserver.py")


class FaultServer:
    """A scripted authoritative server at one address, with the log of every query it
    received."""

    def __init__(self, addr, scenario, proc, log):
        self.addr = addr
        self.scenario = scenario
        self.proc = proc
        self.log = log

    def __repr__(self):
        return "FaultServer(%s %s)" % (self.addr, self.scenario.get("mode", "normal"))

    def queries(self, since=0):
        """The queries received so far (dicts: t, proto, src, id, qname, qtype, edns, rd),
        from index since on (see mark())."""
        out = []
        for line in read_text(self.log).splitlines(keepends=True):
            if line.endswith("\n"):  # a last line without it is still being written
                out.append(json.loads(line))
        return out[since:]

    def qnames(self, since=0):
        """[(qname in lower case, qtype)] of the queries received, from index since on."""
        return [(q["qname"].lower(), q["qtype"]) for q in self.queries(since)]

    def mark(self):
        """Index for queries(since=...): only what arrives from now on."""
        return len(self.queries())

    def stderr(self):
        return self.proc.output()

    def switch(self, timeout=5.0):
        """Make it take its scenario's "then" part (SIGUSR1) and wait until it has."""
        self.proc.send_signal(signal.SIGUSR1)
        line = read_line(self.proc, timeout)
        if line.strip() != b"switched":
            raise LabError("fault server %s did not switch: %r %s"
                           % (self.addr, line, self.stderr()[-2000:]))

    def stop(self):
        return self.proc.stop()


def start(tmp, addr, zones=None, scenario=None, timeout=START_TIMEOUT):
    """Start tests/faultserver.py at addr@53, its files in a new directory under tmp. zones:
    {origin: file}, the file relative to zones/fault/ (default: generic.zone). scenario: its
    behaviour (see faultserver.py). Waits until its sockets are bound (it says "ready")."""
    ensure_isolated()
    scenario = dict(scenario or {})
    d = tempfile.mkdtemp(prefix="fault-%s-" % addr, dir=tmp)
    log = os.path.join(d, "queries.jsonl")
    # The same Python as this one: it has dnspython (rwlab imports it too).
    cmd = [sys.executable, FAULTSERVER, "--addr", addr, "--log", log,
           "--scenario", json.dumps(scenario)]
    for origin, f in (zones or {}).items():
        cmd += ["--zone", "%s=%s" % (zone_origin(origin),
                                     os.path.join(ZONES, "fault", f or "generic.zone"))]
    proc = Proc(cmd, os.path.join(d, "stderr"), name="faultserver " + addr,
                stdout=subprocess.PIPE)
    fs = FaultServer(addr, scenario, proc, log)
    line = read_line(proc, timeout)
    if line.strip() != b"ready":
        proc.stop()
        raise LabError("fault server %s did not start: %s" % (addr, fs.stderr()[-2000:]))
    return fs



class SilentServers:
    """Servers that never answer: a UDP socket and a TCP listener bound on port 53 of each of
    addrs, never read and never accepted. A context manager: closed on exit."""

    def __init__(self, addrs):
        self.addrs = addrs
        self.socks = []

    def __enter__(self):
        for addr in self.addrs:
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            u.bind((addr, 53))
            t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            t.bind((addr, 53))
            t.listen(1)
            self.socks += [u, t]
        return self

    def __exit__(self, *exc):
        for s in self.socks:
            s.close()


class SilentServer(SilentServers):
    """A lab server (lab.conf "silent") at which nothing answers: its address takes UDP packets
    and TCP connections on port 53 and never replies, so queries time out. (An address with
    nothing bound answers UDP with ICMP port unreachable, which a client sees at once as
    ECONNREFUSED: not a silent server.) The interface of nsd.Server: it serves no zone."""

    def __init__(self, name, addr):
        super().__init__([addr])
        self.name = name
        self.addr = addr
        self.files = []
        self.zones = []

    def __repr__(self):
        return "SilentServer(%s %s)" % (self.name, self.addr)

    def configure(self, d, zonesdir):
        return None

    def start(self):
        ensure_isolated()
        self.__enter__()
        return self

    def wait(self, timeout=START_TIMEOUT):
        return None

    def running(self):
        return bool(self.socks)

    def stop(self):
        self.__exit__(None, None, None)
        self.socks = []
        return 0

    def hup(self):
        return None

    def serial(self, zone):
        return None

