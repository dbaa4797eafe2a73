"""rwlab: the Python side of the rootwalk lab, shared by scripts/, tests/ and bench/.

Each job has one module, and each helper is written once:

    isolate    the namespace guard (refuse to run outside a private network namespace) and the
               per-command /etc/resolv.conf for dig +trace
    procs      starting, waiting for and stopping processes; bounded polling; /proc readers
    nsd        one NSD per server address: its configuration, its process, its counters
    knot       Knot DNS for the lab zones NSD refuses (a CNAME at an apex): same interface
    zonefiles  zones/lab.conf, the zone files, nsd-checkzone and the comparison questions
    signing    DNSSEC: zones/dnssec.conf, the keys, DS records and signatures every lab makes
               at its start (ldns-keygen, ldns-signzone), the faults, the trust anchor files
    resolvers  rootwalkd and Unbound in the lab: configurations, start, stop, their output
    faults     tests/faultserver.py processes (the scripted servers under fault.), and silent
               servers (lab.conf "silent": an address where nothing answers)
    labnet     the Lab: every server of zones/lab.conf (signed), the resolvers and fault
               servers it started, zone edits (signed again), a server silenced
    dnsq       asking (UDP, TCP, from a source address, timed), raw exchanges, reading replies
    traces     reading rootwalkd's JSON and text trace logs
    control    rootwalkd's control socket and the `rootwalk` command
    dnsdist    dnsdist in front of rootwalkd backends (the README's recipe): its configuration,
               its process, the backends' health as its log tells it

scripts/lab.py is the command line over this package; tests/integration/conftest.py holds the
pytest fixtures built on it; bench/bench.py uses it for its processes, NSD and DNS.
Everything that starts a process calls isolate.ensure_isolated() first.
"""

import os

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ZONES = os.path.join(REPO, "zones")
ROOT_HINTS = os.path.join(ZONES, "root.hints")
ROOTWALKD_ADDR = "127.0.0.53"
UNBOUND_ADDR = "127.0.0.54"
START_TIMEOUT = 10.0  # seconds a server gets to answer after it starts
STOP_TIMEOUT = 5.0    # seconds a process gets after SIGTERM before SIGKILL


class LabError(Exception):
    pass
