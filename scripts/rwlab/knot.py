"""Knot DNS as a lab server (lab.conf "knot:"), for zone data NSD refuses to load: a CNAME at a
zone apex (NSD: "CNAME and other data at the same name"). Knot loads such a zone with
semantic-checks: soft (the error is logged, the zone served). Same interface as nsd.Server."""

import os

from rwlab.nsd import Server
from rwlab.procs import Proc


def conf_text(name, addr, zones, zonesdir, d):
    """knot.conf for one server: zones is [(origin, file relative to zonesdir)]; d holds its
    state, socket and log. Never writes back to the zone files (zonefile-sync: -1), keeps no
    journal, runs as the user who starts it (no user: key)."""
    lines = [
        "server:",
        "    rundir: %s" % d,
        "    listen: %s@53" % addr,
        "    identity: %s" % name,
        "    udp-workers: 1",
        "    tcp-workers: 1",
        "    background-workers: 1",
        "log:",
        "  - target: %s/knot.log" % d,
        "    any: info",
        "database:",
        "    storage: %s" % d,
        "control:",
        "    listen: %s/knot.sock" % d,
        "template:",
        "  - id: default",
        "    storage: %s" % zonesdir,
        "    semantic-checks: soft",
        "    zonefile-sync: -1",
        "    zonefile-load: whole",
        "    journal-content: none",
        "zone:",
    ]
    for origin, f in zones:
        lines += ["  - domain: %s" % origin, "    file: %s" % f]
    return "\n".join(lines) + "\n"


class KnotServer(Server):
    """One lab server run by knotd instead of NSD (same address, zones, start/stop/hup)."""

    def configure(self, d, zonesdir):
        os.makedirs(d, exist_ok=True)
        self.dir = d
        self.conf = os.path.join(d, "knot.conf")
        with open(self.conf, "w") as f:
            f.write(conf_text(self.name, self.addr, self.files, zonesdir, d))
        return self.conf

    def start(self):
        self.proc = Proc(["knotd", "-c", self.conf], os.path.join(self.dir, "stderr"),
                         name="knotd " + self.name, append=True)
        return self

    def query_count(self, timeout=10):
        raise NotImplementedError("query_count: NSD servers only")
