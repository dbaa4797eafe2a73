"""rootwalkd as a system service: the systemd notifications, the control socket's directory,
the pidfile, the directories rootwalkd -n checks, the refusal to stay root by accident, one
default configuration path, and the installed unit (systemd-analyze verify).

Every daemon here runs in the lab's network namespace; every path is under the test's own
temporary directory (nothing is made in /run)."""

import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import time

import dns.rcode
import pytest

import rwlab
from rwlab import dnsq, procs

from conftest import stops_cleanly


def notify_socket(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(str(path))
    return s


def next_message(s, timeout=10.0):
    """The next datagram as a dict of its KEY=VALUE lines (AssertionError after timeout)."""
    s.settimeout(timeout)
    try:
        data = s.recv(4096).decode()
    except socket.timeout:
        raise AssertionError("no notification within %.0f s" % timeout)
    return dict(line.split("=", 1) for line in data.split("\n") if line)


def refused_start(r):
    """r (started with wait=False) must exit with an error before serving; its output."""
    assert r.proc.wait(timeout=10) != 0
    r.stop()  # it exited as it should: not a death for conftest to report
    return r.stderr()


def test_sd_notify(start_rootwalkd, tmp_path):
    """READY=1 once the sockets are bound (a query right after it is answered), RELOADING=1
    with MONOTONIC_USEC then READY=1 around a reload (SIGHUP), STOPPING=1 on SIGTERM."""
    s = notify_socket(tmp_path / "notify")
    try:
        r = start_rootwalkd(wait=False, env={"NOTIFY_SOCKET": str(tmp_path / "notify")})
        m = next_message(s)
        assert m.get("READY") == "1" and "STATUS" in m, m
        # No waiting for the port: READY means the listeners are bound.
        a = dnsq.ask(r.addr, "video-platform.com.", "A")
        assert a.rcode() == dns.rcode.NOERROR, dnsq.rcode_text(a)
        before = time.clock_gettime(time.CLOCK_MONOTONIC) * 1e6
        r.proc.send_signal(signal.SIGHUP)
        m = next_message(s)
        assert m.get("RELOADING") == "1", m
        now = time.clock_gettime(time.CLOCK_MONOTONIC) * 1e6
        assert before <= int(m["MONOTONIC_USEC"]) <= now, (before, m, now)
        m = next_message(s)
        assert m.get("READY") == "1" and m.get("STATUS") == "reloaded", m
        stops_cleanly(r)
        m = next_message(s)
        assert m.get("STOPPING") == "1", m
        # The variable is not passed on, and nothing else was sent.
        s.settimeout(0.2)
        with pytest.raises(socket.timeout):
            s.recv(4096)
    finally:
        s.close()


def test_sd_notify_refused_reload(start_rootwalkd, tmp_path):
    """A reload that is refused still ends with READY=1 (systemd must not wait for ever), with a
    status that says so."""
    s = notify_socket(tmp_path / "notify")
    try:
        r = start_rootwalkd(wait=False, env={"NOTIFY_SOCKET": str(tmp_path / "notify")})
        assert next_message(s).get("READY") == "1"
        with open(r.conf, "a") as f:
            f.write("cache-size: banana\n")
        r.proc.send_signal(signal.SIGHUP)
        assert next_message(s).get("RELOADING") == "1"
        m = next_message(s)
        assert m.get("READY") == "1" and "refused" in m.get("STATUS", ""), m
    finally:
        s.close()


def test_control_socket_directory_created(start_rootwalkd, tmp_path):
    """A control socket in a directory that does not exist yet (as /run/rootwalk at the first
    start): rootwalkd makes it, mode 0750, and the socket answers."""
    d = tmp_path / "run-rootwalk"
    sock = d / "control.sock"
    r = start_rootwalkd(extra="control-socket: %s\n" % sock)
    st = os.stat(d)
    assert stat.S_ISDIR(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o750, oct(st.st_mode)
    procs.wait_for(lambda: os.path.exists(sock), 5, proc=r.proc, what="control socket")
    from rwlab import control
    c = control.Control(r, str(sock))
    p = c.run("status")
    assert p.returncode == 0 and "control-socket: %s" % sock in p.stdout, p
    stops_cleanly(r)
    assert not os.path.exists(sock)


def test_control_socket_parent_missing(start_rootwalkd, tmp_path, rootwalkd_binary):
    """Only the last directory is made: a path whose parent is missing too stops the start, and
    -n reports it."""
    sock = tmp_path / "no" / "such" / "control.sock"
    r = start_rootwalkd(extra="control-socket: %s\n" % sock, wait=False)
    out = refused_start(r)
    assert "creating its directory %s" % sock.parent in out, out
    assert not (tmp_path / "no").exists()


def test_pidfile(start_rootwalkd, tmp_path):
    pid = tmp_path / "rootwalkd.pid"
    r = start_rootwalkd(extra="pidfile: %s\n" % pid)
    assert pid.read_text() == "%d\n" % r.proc.pid
    stops_cleanly(r)
    assert not pid.exists(), "pidfile left behind after a clean stop"


def test_pidfile_not_ours_is_kept(start_rootwalkd, tmp_path):
    """At exit the file is removed only if it still holds our pid (another daemon may have
    taken it over)."""
    pid = tmp_path / "rootwalkd.pid"
    r = start_rootwalkd(extra="pidfile: %s\n" % pid)
    pid.write_text("1\n")
    stops_cleanly(r)
    assert pid.read_text() == "1\n"


def test_pidfile_directory_missing(start_rootwalkd, tmp_path):
    pid = tmp_path / "missing" / "rootwalkd.pid"
    r = start_rootwalkd(extra="pidfile: %s\n" % pid, wait=False)
    out = refused_start(r)
    assert "pidfile: %s" % pid in out, out


def run_check(binary, path):
    return subprocess.run([binary, "-n", "-c", str(path)], capture_output=True, text=True,
                          timeout=10, stdin=subprocess.DEVNULL)


def test_check_reports_missing_directories(rootwalkd_binary, tmp_path):
    """-n names each path whose directory is missing, not only the start; a control socket
    directory that rootwalkd will make (its parent exists) is fine."""
    conf = tmp_path / "c.conf"
    missing = tmp_path / "missing"
    conf.write_text('username: ""\ncontrol-socket: %s/a/b/ctl.sock\ntrace-log: %s/trace.log\n'
                    'pidfile: %s/x/rootwalkd.pid\nchroot: %s/jail\nlogfile: %s/log/rw.log\n'
                    % (missing, missing, missing, missing, missing))
    p = run_check(rootwalkd_binary, conf)
    assert p.returncode == 1, p
    lines = p.stderr.splitlines()
    assert len(lines) == 5, p.stderr
    assert lines[0].startswith("control-socket: %s/a/b/ctl.sock: directory %s/a/b does not "
                               "exist" % (missing, missing)), lines
    assert lines[1] == "trace-log: %s/trace.log: directory %s does not exist" % (
        missing, missing), lines
    assert lines[2] == "pidfile: %s/x/rootwalkd.pid: directory %s/x does not exist" % (
        missing, missing), lines
    assert lines[3] == "logfile: %s/log/rw.log: directory %s/log does not exist" % (
        missing, missing), lines
    assert lines[4] == "chroot: %s/jail: not a directory" % missing, lines
    # The same paths with their directories there (the control socket's made at start).
    (missing / "a").mkdir(parents=True)
    (missing / "x").mkdir()
    (missing / "jail").mkdir()
    (missing / "log").mkdir()
    p = run_check(rootwalkd_binary, conf)
    assert p.returncode == 0 and p.stdout == "%s: ok\n" % conf and not p.stderr, p
    assert not (missing / "a" / "b").exists(), "-n must not create anything"


@pytest.mark.skipif(os.geteuid() != 0, reason="the root check needs root (the lab's namespace)")
def test_refuses_to_stay_root(rootwalkd_binary, start_rootwalkd, tmp_path):
    """Started as root, rootwalkd does not go on as root unless the file says username: "":
    a user that is root, or an unknown user, stops it before it serves."""
    r = start_rootwalkd(extra="username: root\n", wait=False)
    out = refused_start(r)
    assert "username: 'root' is root" in out and 'username: ""' in out, out
    r = start_rootwalkd(extra="username: no-such-user-rw\n", wait=False)
    out = refused_start(r)
    assert "no user 'no-such-user-rw'" in out, out
    # The lab's own line, username: "", runs as root and says so.
    r = start_rootwalkd()
    assert "running as root" in r.stderr(), r.stderr()


# -- the default configuration path and the installed files -----------------------------------

def build_dir(binary):
    return os.path.dirname(os.path.dirname(os.path.dirname(binary)))


def default_config(binary):
    p = subprocess.run([binary, "--help"], capture_output=True, text=True, timeout=10)
    m = re.search(r"\(default (/\S+)\)", p.stdout)
    assert m, p.stdout
    return m.group(1)


def test_one_default_config_path(rootwalkd_binary):
    """The daemon, the client, the unit and the man pages name the same file."""
    path = default_config(rootwalkd_binary)
    client = os.path.join(build_dir(rootwalkd_binary), "src", "client", "rootwalk")
    p = subprocess.run([client, "--help"], capture_output=True, text=True, timeout=10)
    assert "default %s" % path in p.stdout, p.stdout
    unit = os.path.join(build_dir(rootwalkd_binary), "dist", "rootwalkd.service")
    with open(unit) as f:
        text = f.read()
    assert "ExecStart=" in text and "-c %s\n" % path in text, text
    for page in ("rootwalkd.8.scd", "rootwalkd.conf.5.scd", "rootwalk.1.scd"):
        with open(os.path.join(rwlab.REPO, "man", page)) as f:
            assert path in f.read(), page


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
def test_installed_unit_verifies(rootwalkd_binary, tmp_path):
    """meson install --destdir: the unit, the sysusers.d and tmpfiles.d entries and the sample
    configuration land where systemd looks; systemd-analyze verify accepts the unit without a
    word (its programs taken from the DESTDIR), and the sample configuration passes -n."""
    dest = tmp_path / "dest"
    p = subprocess.run(["meson", "install", "-C", build_dir(rootwalkd_binary), "--no-rebuild",
                        "--quiet", "--destdir", str(dest)], capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    units = [os.path.join(d, f) for d, _, fs in os.walk(dest) for f in fs
             if f == "rootwalkd.service"]
    assert len(units) == 1, units
    assert any(f == "rootwalk.conf" and d.endswith("sysusers.d") for d, _, fs in os.walk(dest)
               for f in fs)
    assert any(f == "rootwalk.conf" and d.endswith("tmpfiles.d") for d, _, fs in os.walk(dest)
               for f in fs)
    with open(units[0]) as f:
        text = f.read()
    sbin = re.search(r"^ExecStart=(\S+)/rootwalkd ", text, re.M).group(1)
    assert os.access(str(dest) + sbin + "/rootwalkd", os.X_OK)
    for line in ("Type=notify", "RuntimeDirectory=rootwalk", "ProtectSystem=strict",
                 "ProtectHome=yes", "PrivateTmp=yes", "NoNewPrivileges=yes",
                 "SystemCallFilter=@system-service", "ExecReload="):
        assert line in text, line
    # The installed paths as they will be, the programs from where the DESTDIR has them.
    check = tmp_path / "rootwalkd.service"
    check.write_text(text.replace(sbin + "/", str(dest) + sbin + "/"))
    p = subprocess.run(["systemd-analyze", "verify", "--man=no", str(check)],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and not p.stdout.strip() and not p.stderr.strip(), p
    # The sample configuration: every line a comment or blank, and accepted.
    conf = str(dest) + default_config(rootwalkd_binary)
    with open(conf) as f:
        assert all(l.startswith("#") or not l.strip() for l in f)
    p = run_check(rootwalkd_binary, conf)
    assert p.returncode == 0, p


def test_reload_says_service_keys_need_a_restart(start_ctl, tmp_path):
    c = start_ctl()
    pid = tmp_path / "late.pid"
    with open(c.r.conf, "a") as f:
        f.write("pidfile: %s\nusername: nobody\n" % pid)
    out = c.ok("reload")
    assert "note: username, chroot and pidfile take effect at the next start" in out, out
    assert not pid.exists()
    assert "running as root" in c.r.stderr()  # still the same user


def test_client_default_socket(rootwalkd_binary):
    """Without -s and without the default configuration file, rootwalk looks where the daemon
    puts its socket by default (nothing is created: the daemon is not running there)."""
    path = default_config(rootwalkd_binary)
    if os.path.exists(path):
        pytest.skip("%s exists here: its control-socket line decides" % path)
    client = os.path.join(build_dir(rootwalkd_binary), "src", "client", "rootwalk")
    p = subprocess.run([client, "status"], capture_output=True, text=True, timeout=10)
    assert "/run/rootwalk/control.sock" in p.stderr, p


def test_pidfile_symlink_not_followed(start_rootwalkd, tmp_path):
    """The pidfile is written as root: a symbolic link planted at its path (by whoever may
    write that directory) must not make root overwrite the file it points to."""
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    pid = tmp_path / "rootwalkd.pid"
    pid.symlink_to(victim)
    r = start_rootwalkd(extra="pidfile: %s\n" % pid, wait=False)
    out = refused_start(r)
    assert "pidfile: %s" % pid in out, out
    assert victim.read_text() == "precious\n"
