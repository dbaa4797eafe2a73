"""The resolvers in the lab: rootwalkd (under test) and Unbound (the reference), each in a
directory of its own with its configuration, its output and its trace log."""

import os
import shutil
import signal
import subprocess
import tempfile

from rwlab import (REPO, ROOT_HINTS, ROOTWALKD_ADDR, START_TIMEOUT, STOP_TIMEOUT, UNBOUND_ADDR,
                   LabError)
from rwlab.dnsq import wait_answers
from rwlab.isolate import ensure_isolated
from rwlab.procs import Proc, wait_listening, wait_started


class Resolver:
    """A resolver process (rootwalkd or unbound) answering on addr port 53. dir holds its
    configuration conf, its output (stderr_path) and, for rootwalkd, trace_log; control: its
    control socket, if it has one."""

    def __init__(self, kind, addr, proc, d, conf, trace_log=None, log=None, control=None):
        self.kind = kind
        self.addr = addr
        self.proc = proc
        self.dir = d
        self.conf = conf
        self.trace_log = trace_log
        self.log = log
        self.control = control
        self.returncode = None

    def __repr__(self):
        return "Resolver(%s %s)" % (self.kind, self.addr)

    @property
    def stderr_path(self):
        return self.proc.log

    def stderr(self):
        return self.proc.output()

    def stop(self, sig=signal.SIGTERM, timeout=STOP_TIMEOUT):
        """Stop it (once; later calls return the same status)."""
        if self.returncode is None:
            self.returncode = self.proc.stop(sig, timeout)
        return self.returncode


def rootwalkd_binary():
    """The rootwalkd to run: ROOTWALKD, else build/src/daemon/rootwalkd."""
    binary = os.path.abspath(os.environ.get("ROOTWALKD") or os.path.join(
        REPO, "build", "src", "daemon", "rootwalkd"))
    if not os.access(binary, os.X_OK):
        raise LabError("no rootwalkd binary at %s (set ROOTWALKD or build it)" % binary)
    return binary


def rootwalkd_conf(addr=ROOTWALKD_ADDR, root_hints=ROOT_HINTS, trace_log="off",
                   trace_format="json", extra="", by="rwlab"):
    """rootwalkd.conf for the lab: listen on addr@53, the lab's root hints (or root_hints: a
    file that must name lab addresses only), loopback servers allowed, the trace log; extra:
    more lines (a key given again there wins: the last line of a key counts).

    The lab runs as root of a user namespace: username "" keeps that user (there is no
    rootwalk user to switch to), and the control socket is off unless extra names one, so no
    lab daemon ever makes /run/rootwalk (the default) on the host."""
    return ("# rootwalkd in the lab (written by %s)\n"
            "listen: %s@53\n"
            "root-hints: %s\n"
            "do-not-query-localhost: no\n"
            "trace-log: %s\n"
            "trace-format: %s\n"
            "username: \"\"\n"
            "control-socket: off\n%s" % (by, addr, root_hints, trace_log, trace_format, extra))


def rootwalkd_accepts(binary, lines):
    """True if `rootwalkd -n` accepts the lab configuration with these extra lines (keys that
    newer versions have: a caller can then use them, and run older ones without)."""
    d = tempfile.mkdtemp(prefix="rwcheck-")
    try:
        conf = os.path.join(d, "c.conf")
        with open(conf, "w") as f:
            f.write(rootwalkd_conf(extra="\n".join(lines) + "\n"))
        r = subprocess.run([binary, "-n", "-c", conf], capture_output=True, timeout=20)
        return r.returncode == 0
    finally:
        shutil.rmtree(d, ignore_errors=True)


_accepts = {}


def rootwalkd_accepts_cached(binary, lines):
    """rootwalkd_accepts, asked once per binary (path, size and modification time) and lines."""
    try:
        st = os.stat(binary)
    except OSError:
        return False
    key = (os.path.abspath(binary), st.st_size, st.st_mtime_ns, tuple(lines))
    if key not in _accepts:
        _accepts[key] = rootwalkd_accepts(binary, lines)
    return _accepts[key]


def start_rootwalkd(d, conf_text, addr=ROOTWALKD_ADDR, binary=None, trace_log=None, env=None,
                    wrapper=None, cpu=None, wait=True, timeout=START_TIMEOUT, control=None):
    """Start rootwalkd with conf_text (see rootwalkd_conf) written to d/rootwalkd.conf, its
    output in d/stderr. wrapper: argv to run it under (valgrind); env: more environment
    variables; cpu: pin it (taskset). wait: until its sockets listen (without a query, which
    would warm its cache and put a trace in the log before the caller's first question)."""
    ensure_isolated()
    binary = binary or rootwalkd_binary()
    conf = os.path.join(d, "rootwalkd.conf")
    with open(conf, "w") as f:
        f.write(conf_text)
    proc = Proc(list(wrapper or []) + [binary, "-c", conf], os.path.join(d, "stderr"),
                name="rootwalkd", cpu=cpu, env=env)
    r = Resolver("rootwalkd", addr, proc, d, conf, trace_log=trace_log, control=control)
    if wait:
        wait_ready(r, "listening", timeout)
    return r


def wait_ready(r, how="listening", timeout=START_TIMEOUT):
    """Wait until resolver r can take queries: "listening" (its sockets listen; no query is
    sent, its cache stays cold) or "answers" (it answers ". SOA"). If it does not, it is killed
    and LabError says what it wrote."""
    if how == "answers":
        wait = lambda: wait_answers(r.addr, ".", "SOA", timeout, proc=r.proc, rd=True,
                                    what=r.kind)
    else:
        wait = lambda: wait_listening(r.addr, 53, timeout, proc=r.proc, what=r.kind)
    wait_started(r.proc, wait)


# The lab's own Unbound settings (scripts/lab.py, the tests): small, and the reverse zones of
# the documentation prefixes served by the lab rather than by Unbound's default local zones
# (RFC 6303 style).
UNBOUND_LAB_LINES = [
    "qname-minimisation: yes",
    "edns-buffer-size: 1232",
    'local-zone: "2.0.192.in-addr.arpa." nodefault',
    'local-zone: "100.51.198.in-addr.arpa." nodefault',
    'local-zone: "113.0.203.in-addr.arpa." nodefault',
    'local-zone: "8.b.d.0.1.0.0.2.ip6.arpa." nodefault',
    "outgoing-range: 64",
    "num-queries-per-thread: 32",
]


def unbound_conf(d, addr=UNBOUND_ADDR, root_hints=ROOT_HINTS, lines=(), control=False,
                 verbosity=1, trust_anchor=None, val_log_level=2):
    """unbound.conf: an iterator without DNSSEC validation, like rootwalkd, one thread, in the
    foreground, its files in d; lines: more server: lines. control: a remote-control socket at
    d/unbound.ctl (no certificates). trust_anchor: a file with the lab root's DS or DNSKEY:
    then a validating Unbound (validator and iterator, extended DNS errors on, the reason for
    every bogus answer in its log at val_log_level 2; bench/ asks for 0)."""
    if trust_anchor:
        dnssec = ['module-config: "validator iterator"',
                  "trust-anchor-file: %s" % trust_anchor,
                  "val-log-level: %d" % val_log_level,
                  "ede: yes"]
    else:
        dnssec = ['module-config: "iterator"']
    server = [
        "interface: %s" % addr,
        "port: 53",
        "do-ip6: no",
        "do-not-query-localhost: no",
        "root-hints: %s" % root_hints,
        'username: ""',
        'chroot: ""',
        "directory: %s" % d,
        "pidfile: %s/unbound.pid" % d,
        "do-daemonize: no",
        "use-syslog: no",
        "logfile: %s/unbound.log" % d,
        "verbosity: %d" % verbosity,
        "num-threads: 1",
        "access-control: 127.0.0.0/8 allow",
    ] + dnssec + list(lines)
    rc = ["control-enable: no"]
    if control:
        rc = ["control-enable: yes", "control-interface: %s/unbound.ctl" % d,
              "control-use-cert: no"]
    return "\n".join(["server:"] + ["    " + l for l in server] +
                     ["remote-control:"] + ["    " + l for l in rc]) + "\n"


def start_unbound(d, conf_text, addr=UNBOUND_ADDR, cpu=None, wait="answers",
                  timeout=START_TIMEOUT, check=False):
    """Start Unbound with conf_text (see unbound_conf) written to d/unbound.conf (check: with
    unbound-checkconf first). wait: "answers" (until it answers ". SOA"), "listening" (until
    its sockets listen, its cache still cold) or None."""
    ensure_isolated()
    conf = os.path.join(d, "unbound.conf")
    with open(conf, "w") as f:
        f.write(conf_text)
    if check:
        c = subprocess.run(["unbound-checkconf", conf], capture_output=True, text=True,
                           timeout=30)
        if c.returncode != 0:
            raise LabError("unbound-checkconf %s: %s" % (conf, (c.stderr or c.stdout)[-2000:]))
    proc = Proc(["unbound", "-d", "-c", conf], os.path.join(d, "stderr"), name="unbound",
                cpu=cpu)
    r = Resolver("unbound", addr, proc, d, conf, log=os.path.join(d, "unbound.log"))
    if wait:
        wait_ready(r, wait, timeout)
    return r
