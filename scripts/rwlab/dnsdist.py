"""dnsdist in the lab: Debian's DNS load balancer in front of rootwalkd backends, as the README's
"Past one machine: dnsdist in front" recipe sets it up (consistent hashing on the name, health
checks), with everything a lab needs on top: one 127.x address, no console, no web server, no
security polling, its configuration and output in a temporary directory, in the foreground.

    d = start(dir, "127.0.0.52", [("rw1", "127.0.0.61"), ("rw2", "127.0.0.62")])
    d.wait_states({"rw1": "up", "rw2": "up"})   # what its health checks say, from its output
    ...
    d.stop()

dnsdist logs every change of a backend's health ("Marking downstream rw1 (127.0.0.61:53) as
'down'"); states() reads the latest one per backend from its output, which is how a test sees
that the health check noticed a dead backend.
"""

import ipaddress
import os
import re
import subprocess

from rwlab import START_TIMEOUT, LabError
from rwlab.isolate import ensure_isolated
from rwlab.procs import Proc, wait_for, wait_listening, wait_started
from rwlab.resolvers import Resolver

BINARY = "/usr/bin/dnsdist"
# The lab's health checks: every second, a backend is down after two failed checks in a row
# (1 s without an answer, or an answer with RCODE SERVFAIL, NXDOMAIN or REFUSED: mustResolve;
# two, so that one slow answer of a sanitizer build on a loaded machine does not move names
# in a test) and up again after one good one. The README's recipe waits for 3 and 2.
LAB_CHECKS = {"interval": 1, "timeout_ms": 1000, "failures": 2, "rise": 1}
# localhost. A is answered by rootwalkd itself (RFC 6761, src/core/localzone.c): a health check
# that proves the backend's query path works without sending anything upstream or filling the
# cache with names a test counts.
CHECK_NAME = "localhost."
# Points per backend on chashed's hash ring: with one point each (weight 1), two backends split
# the names by the luck of two random points; a hundred each splits them about evenly.
WEIGHT = 100
STATE_RE = re.compile(r"^Marking downstream (\S+) \((\S+)\) as '(up|down)'", re.M)


def binary():
    """The dnsdist binary; LabError if it is not installed (scripts/setup.sh test installs it)."""
    if not os.access(BINARY, os.X_OK):
        raise LabError("%s is not installed (apt-get install dnsdist; scripts/setup.sh test "
                       "installs it)" % BINARY)
    return BINARY


def version():
    """dnsdist's version line, e.g. "dnsdist 1.7.3 (Lua 5.1.4 ...)"."""
    out = subprocess.run([binary(), "--version"], capture_output=True, text=True, timeout=20)
    return out.stdout.splitlines()[0] if out.stdout else "dnsdist (version unknown)"


def _lua_str(s):
    """A Lua string literal of s, which holds only what names and addresses hold."""
    if not re.fullmatch(r"[A-Za-z0-9._:/\-]+", s):
        raise ValueError("not a plain name or address: %r" % s)
    return '"%s"' % s


def conf(addr, backends, policy="chashed", checks=None, check_name=CHECK_NAME, weight=WEIGHT,
         acl=("127.0.0.0/8",), extra=""):
    """dnsdist.conf (Lua) for the lab: listen on addr port 53 (UDP and TCP), queries from acl
    only, one newServer per backend (name, address) with health checks (checks: LAB_CHECKS or
    keys of it), policy setServerPolicy(policy). No console, no web server (dnsdist starts
    neither unless told to), no security polling (it would ask secpoll.powerdns.com for the
    version's status). extra: more Lua lines."""
    ipaddress.ip_address(addr)
    c = dict(LAB_CHECKS, **(checks or {}))
    lines = ["-- dnsdist in front of %d rootwalkd (written by scripts/rwlab/dnsdist.py)"
             % len(backends),
             'setSecurityPollSuffix("")',
             "setLocal(%s)" % _lua_str("%s:53" % addr),
             "setACL({%s})" % ", ".join(_lua_str(n) for n in acl)]
    for name, baddr in backends:
        ipaddress.ip_address(baddr)
        lines.append(
            "newServer({name=%s, address=%s, weight=%d, checkName=%s, checkType=\"A\", "
            "mustResolve=true, checkInterval=%d, checkTimeout=%d, maxCheckFailures=%d, "
            "rise=%d})" % (_lua_str(name), _lua_str("%s:53" % baddr), weight,
                           _lua_str(check_name), c["interval"], c["timeout_ms"], c["failures"],
                           c["rise"]))
    lines.append("setServerPolicy(%s)" % policy)
    return "\n".join(lines) + "\n" + extra


class Dnsdist(Resolver):
    """A dnsdist process (a Resolver of kind "dnsdist": stop(), stderr(), addr) and what its
    output says about its backends."""

    def states(self):
        """{backend name: "up" or "down"}: the latest state dnsdist logged for each backend."""
        out = {}
        for name, _addr, state in STATE_RE.findall(self.stderr()):
            out[name] = state
        return out

    def wait_states(self, want, timeout=START_TIMEOUT):
        """Wait until the latest logged state of each backend in want ({name: "up"/"down"}) is
        the one given; LabError if not within timeout seconds or if dnsdist exits."""
        wait_for(lambda: all(self.states().get(n) == s for n, s in want.items()), timeout,
                 0.05, self.proc, lambda: "dnsdist backends %s (now %s)" % (want, self.states()),
                 error=LabError)


def check(path):
    """dnsdist --check-config on the file at path; LabError with its output if it fails."""
    r = subprocess.run([binary(), "--check-config", "-C", path], capture_output=True, text=True,
                       timeout=30)
    if r.returncode != 0:
        raise LabError("dnsdist --check-config %s: %s" % (path, (r.stdout + r.stderr)[-2000:]))


def start(d, addr, backends, cpu=None, timeout=START_TIMEOUT, **kw):
    """Start dnsdist in the foreground on addr@53 in front of backends [(name, address)], its
    configuration (conf(addr, backends, **kw), checked first) in d/dnsdist.conf and its output
    in d/stderr; wait until it listens on UDP and TCP. Returns a Dnsdist.

    --supervised: no console on the terminal (it would read stdin); --disable-syslog: its log
    goes to its output only. It stays the user it was started as (the lab's root of a user
    namespace): -u/-g would only drop privileges after binding."""
    ensure_isolated()
    path = os.path.join(d, "dnsdist.conf")
    with open(path, "w") as f:
        f.write(conf(addr, backends, **kw))
    check(path)
    proc = Proc([binary(), "--supervised", "--disable-syslog", "-C", path],
                os.path.join(d, "stderr"), name="dnsdist", cpu=cpu)
    r = Dnsdist("dnsdist", addr, proc, d, path)
    wait_started(proc, lambda: wait_listening(addr, 53, timeout, proc=proc, what="dnsdist"))
    return r


def available():
    """True if dnsdist is installed."""
    return os.access(BINARY, os.X_OK)
