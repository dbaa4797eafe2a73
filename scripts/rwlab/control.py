"""rootwalkd's control socket: the `rootwalk` command, and the protocol spoken directly (one
request line; the answer is a status line, the body, and a line holding ".")."""

import json
import os
import socket
import subprocess
import tempfile

from rwlab import REPO, LabError
from rwlab.dnsq import read_until_closed, send_all_or_closed
from rwlab.procs import wait_for

CLI_TIMEOUT = 20  # seconds any one `rootwalk` run may take


def cli_path():
    """The `rootwalk` binary: ROOTWALK, else next to ROOTWALKD, else build/."""
    p = os.environ.get("ROOTWALK")
    if not p and os.environ.get("ROOTWALKD"):
        d = os.path.dirname(os.path.dirname(os.path.abspath(os.environ["ROOTWALKD"])))
        p = os.path.join(d, "client", "rootwalk")
    p = os.path.abspath(p or os.path.join(REPO, "build", "src", "client", "rootwalk"))
    if not os.access(p, os.X_OK):
        raise LabError("no rootwalk binary at %s (set ROOTWALK)" % p)
    return p


def wait_socket(r, path, timeout=5.0):
    """Wait until rootwalkd r listens on its control socket at path. The socket file appears at
    bind(), before listen(); the daemon logs "control socket PATH (mode ...)" only once it
    listens, so that line (not the file) says a client can connect."""
    wait_for(lambda: "control socket %s (" % path in r.stderr(), timeout=timeout, proc=r.proc,
             what="control socket %s listening" % path)


def start_with_socket(lab):
    """A lab rootwalkd (ROOTWALKD when set) tracing in text to its trace log, with a control
    socket in the lab's temporary folder; returns (resolver, socket path) once it listens. The
    lab stops it with the rest."""
    sock = os.path.join(tempfile.mkdtemp(prefix="ctl-", dir=lab.tmp), "control.sock")
    r = lab.start_rootwalkd(trace_format="text", extra="control-socket: %s\n" % sock,
                            binary=os.environ.get("ROOTWALKD"))
    wait_socket(r, sock)
    return r, sock


def responses(data):
    """Split framed responses: [(status line, [body lines])]."""
    out = []
    lines = data.decode().split("\n")
    i = 0
    while i < len(lines) and lines[i] != "":
        status, body = lines[i], []
        i += 1
        while i < len(lines) and lines[i] != ".":
            body.append(lines[i][1:] if lines[i].startswith(".") else lines[i])
            i += 1
        assert i < len(lines), "response without its end marker: %r" % data[-300:]
        out.append((status, body))
        i += 1
    return out


def exchange(path, data, wait=3.0, close_write=True, sndbuf=None):
    """Send raw bytes on a new connection to the control socket at path; return (everything the
    daemon sent back until it closed the connection or wait ran out, sent_all). sent_all is
    False when the send failed with EPIPE or ECONNRESET because the daemon had closed first
    (an oversized request: it answers with an error and closes). sndbuf: the socket's
    SO_SNDBUF (a small one makes the daemon close while the request is still being sent)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        if sndbuf:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, sndbuf)
        s.settimeout(wait)
        s.connect(path)
        sent_all = send_all_or_closed(s, data)
        if close_write and sent_all:
            s.shutdown(socket.SHUT_WR)
        return read_until_closed(s, wait), sent_all


def request(path, line, wait=20):
    """One request over the control socket at path: the body lines of its answer (status
    "ok"; anything else raises LabError)."""
    got = responses(exchange(path, line.encode() + b"\n", wait=wait)[0])
    if not got or got[0][0] != "ok":
        raise LabError("control %r: %s" % (line, got[:1]))
    return got[0][1]


class Control:
    """A rootwalkd r with a control socket at sock, and ways to talk to it."""

    def __init__(self, r, sock):
        self.r = r
        self.sock = sock

    def run(self, *args, sock=True, timeout=CLI_TIMEOUT):
        """Run `rootwalk [-s SOCK] ARGS...`; returns the finished process."""
        cmd = [cli_path()] + (["-s", self.sock] if sock else []) + list(args)
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)

    def ok(self, *args):
        """Run `rootwalk -s SOCK ARGS...`, which must succeed; returns its output."""
        p = self.run(*args)
        assert p.returncode == 0, "rootwalk %s: exit %d\nstdout: %s\nstderr: %s" % (
            " ".join(args), p.returncode, p.stdout[-3000:], p.stderr[-3000:])
        return p.stdout

    def stats(self):
        return json.loads(self.ok("stats", "--json"))

    def request(self, line, wait=20):
        return request(self.sock, line, wait)

    def raw(self, data, wait=3.0, close_write=True):
        """Send raw bytes on a new connection; return everything the daemon sends back until it
        closes the connection (or wait runs out)."""
        return exchange(self.sock, data, wait=wait, close_write=close_write)[0]

    def raw_may_close(self, data, wait=3.0, close_write=True, sndbuf=None):
        """Like raw(), for requests the daemon may stop reading and close before it has taken
        them all; returns (what the daemon sent, sent_all), see exchange()."""
        return exchange(self.sock, data, wait, close_write, sndbuf)
