"""Privilege drop: rootwalkd started as root binds, opens its files, then becomes username: for
good. /proc/PID/status shows it: uid, gid, no supplementary groups, no capabilities (permitted,
effective, inheritable, ambient, bounding), no_new_privs.

This needs a second uid in the user namespace the lab runs in: scripts/in_lab.sh maps uids
0..65535 when it is started by real root (scripts/userns.py). Under unshare -r (uid 0 alone) the
tests are skipped and say why. The daemon here is the lab's, in its network namespace, on
127.0.0.241; its files are in a directory of /tmp that the dropped user may enter (pytest's own
are closed to it), removed at the end."""

import os
import shutil
import signal
import stat
import tempfile

import dns.rcode
import pytest

from rwlab import ROOT_HINTS, control, dnsq, procs, resolvers

from conftest import need_rootwalkd, stops_cleanly

USER, UID, GID = "nobody", 65534, 65534
ADDR = "127.0.0.241"


def mapped_range():
    """How many uids from 0 this user namespace maps (0 if uid 0 is not mapped)."""
    with open("/proc/self/uid_map") as f:
        for line in f:
            inner, outer, count = (int(x) for x in line.split())
            if inner == 0:
                return count
    return 0


pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or mapped_range() <= UID,
    reason="needs root of a user namespace that maps uid %d (scripts/in_lab.sh run by real "
           "root maps 0..65535; unshare -r maps uid 0 alone)" % UID)


def status(pid):
    with open("/proc/%d/status" % pid) as f:
        return dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)


@pytest.fixture
def dropped(the_lab):
    """A rootwalkd that drops to nobody, its files in a fresh directory; stopped at the end."""
    need_rootwalkd()
    d = tempfile.mkdtemp(prefix="rw-privdrop-")
    os.chmod(d, 0o755)
    extra = ("dnssec: no\nusername: %s\ncontrol-socket: %s/run/ctl.sock\npidfile: %s/pid\n"
             % (USER, d, d))
    conf = resolvers.rootwalkd_conf(ADDR, ROOT_HINTS, os.path.join(d, "trace.log"), "json",
                                    extra, by="test_privdrop")
    r = resolvers.start_rootwalkd(d, conf, ADDR)
    r.tmp = d
    try:
        # start_rootwalkd returns once the sockets listen, which is before the drop (they are
        # bound as root); the "started" line comes after it, and after the workers start
        procs.wait_for(lambda: " started (config " in r.stderr(), 10, proc=r.proc,
                       what="rootwalkd's started line")
        yield r
    finally:
        r.stop()
        shutil.rmtree(d, ignore_errors=True)


def test_status_shows_everything_dropped(dropped):
    r = dropped
    st = status(r.proc.pid)
    assert st["Uid"].split() == [str(UID)] * 4, st["Uid"]
    assert st["Gid"].split() == [str(GID)] * 4, st["Gid"]
    assert st["Groups"].strip() == "", st["Groups"]
    for cap in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
        assert int(st[cap], 16) == 0, "%s: %s" % (cap, st[cap])
    assert st["NoNewPrivs"].strip() == "1"
    assert "running as %s (uid %d, gid %d)" % (USER, UID, GID) in r.stderr(), r.stderr()
    # It serves as the dropped user.
    m = dnsq.ask(r.addr, "video-platform.com.", "A")
    assert m.rcode() == dns.rcode.NOERROR, dnsq.rcode_text(m)


def test_files_made_before_the_drop(dropped):
    """The pidfile is written as root; the control socket's directory is made 0750 for the
    service user and the socket and the trace log are handed to it."""
    r = dropped
    with open(os.path.join(r.tmp, "pid")) as f:
        assert f.read() == "%d\n" % r.proc.pid
    st = os.stat(os.path.join(r.tmp, "run"))
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (UID, GID, 0o750)
    sock = os.path.join(r.tmp, "run", "ctl.sock")
    control.wait_socket(r, sock)
    st = os.stat(sock)
    assert (st.st_uid, st.st_gid) == (UID, GID)
    st = os.stat(os.path.join(r.tmp, "trace.log"))
    assert (st.st_uid, st.st_gid) == (UID, GID)
    out = control.Control(r, sock).ok("status")
    assert "pid: %d" % r.proc.pid in out
    stops_cleanly(r)
    # The socket goes (its directory is the user's); the pidfile's directory is root's, so
    # the file stays, as Unbound's does.
    assert not os.path.exists(sock)


def test_reload_opens_trace_log_as_the_user(dropped):
    """A reload that names a new trace log opens it as the dropped user: a directory closed to
    that user refuses the reload with the reason; an open one takes it."""
    r = dropped
    sock = os.path.join(r.tmp, "run", "ctl.sock")
    control.wait_socket(r, sock)
    c = control.Control(r, sock)
    closed = os.path.join(r.tmp, "closed")
    os.mkdir(closed, 0o700)
    with open(r.conf, "a") as f:
        f.write("trace-log: %s/trace.log\n" % closed)
    p = c.run("reload")
    assert p.returncode != 0, p
    assert "cannot open trace log %s/trace.log: Permission denied" % closed in p.stderr, p
    assert not os.path.exists(os.path.join(closed, "trace.log"))
    assert "trace-log: %s/trace.log" % r.tmp in c.ok("status")
    opened = os.path.join(r.tmp, "open")
    os.mkdir(opened)
    os.chmod(opened, 0o777)
    with open(r.conf, "a") as f:
        f.write("trace-log: %s/trace.log\n" % opened)
    c.ok("reload")
    st = os.stat(os.path.join(opened, "trace.log"))
    assert st.st_uid == UID, "the new trace log is not the dropped user's"
    stops_cleanly(r)


def test_chroot(the_lab):
    """chroot: the daemon's root directory is the jail (after opening everything), it still
    serves, and a reload reads the configuration from inside the jail (the jail's path taken
    off the front)."""
    need_rootwalkd()
    jail = tempfile.mkdtemp(prefix="rw-jail-")
    os.chmod(jail, 0o755)
    conf_text = resolvers.rootwalkd_conf(
        "127.0.0.242", ROOT_HINTS, "off", "json",
        "dnssec: no\nusername: %s\nchroot: %s\n" % (USER, jail), by="test_privdrop")
    # LeakSanitizer reads /proc/PID/task at exit, which the jail has not got: no leak check
    # here (every other test has it).
    asan = os.environ.get("ASAN_OPTIONS", "")
    r = resolvers.start_rootwalkd(jail, conf_text, "127.0.0.242",
                                  env={"ASAN_OPTIONS": asan + ":detect_leaks=0"})
    try:
        assert os.readlink("/proc/%d/root" % r.proc.pid) == jail
        assert int(status(r.proc.pid)["CapEff"], 16) == 0
        m = dnsq.ask(r.addr, "video-platform.com.", "A")
        assert m.rcode() == dns.rcode.NOERROR, dnsq.rcode_text(m)
        # The root hints are outside the jail: a reload must find them... inside it.
        os.makedirs(jail + os.path.dirname(ROOT_HINTS))
        shutil.copy(ROOT_HINTS, jail + ROOT_HINTS)
        n = r.stderr().count("reloaded")
        r.proc.send_signal(signal.SIGHUP)
        procs.wait_for(lambda: r.stderr().count("reloaded") > n or "refused" in r.stderr(), 10,
                       proc=r.proc, what="reload")
        assert "refused" not in r.stderr(), r.stderr()
        stops_cleanly(r)
    finally:
        r.stop()
        shutil.rmtree(jail, ignore_errors=True)
