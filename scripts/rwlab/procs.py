"""Processes: start one with its output in a log file, wait for it (always bounded), stop it;
read what /proc says about it."""

import os
import re
import select
import signal
import subprocess
import time

from rwlab import START_TIMEOUT, STOP_TIMEOUT, LabError

# Sanitizer and crash signatures in a daemon's output.
# ThreadSanitizer (the TSan build of tests/run_all.sh) warns and goes on (halt_on_error=0): its
# "WARNING: ThreadSanitizer:" lines are failures all the same.
SANITIZER_RE = re.compile(r"(ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|"
                          r"SUMMARY: (Address|Undefined|Leak|Thread)Sanitizer|"
                          r"WARNING: ThreadSanitizer|ERROR: ThreadSanitizer|"
                          r"(Address|Thread)Sanitizer:DEADLYSIGNAL|"
                          r"Sanitizer has encountered a fatal error)")


def sanitizer_lines(text):
    return [l for l in text.splitlines() if SANITIZER_RE.search(l)]


def read_text(path, limit=None):
    """The text of a log file ("" if there is none), or its last limit characters."""
    try:
        with open(path, errors="replace") as f:
            text = f.read()
    except FileNotFoundError:
        return ""
    return text[-limit:] if limit else text


def stop_process(proc, sig=signal.SIGTERM, timeout=STOP_TIMEOUT):
    """Stop one child (a subprocess.Popen): sig, then SIGKILL after timeout seconds. Returns its
    exit status."""
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


class Proc:
    """A child process with its output in a log file and nothing on stdin. Its stdout and stderr
    go to log; with stdout=subprocess.PIPE only its stderr does (a child that reports on stdout,
    see read_line). cpu: pin it to that CPU (taskset); env: more environment variables."""

    def __init__(self, argv, log, name=None, cpu=None, env=None, stdout=None, append=False):
        if cpu is not None:
            argv = ["taskset", "-c", str(cpu)] + list(argv)
        self.argv = list(argv)
        self.name = name or os.path.basename(self.argv[0])
        self.log = log
        with open(log, "ab" if append else "wb") as f:
            self.p = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL,
                                      stdout=stdout if stdout is not None else f,
                                      stderr=f if stdout is not None else subprocess.STDOUT,
                                      env=dict(os.environ, **env) if env else None)

    def __repr__(self):
        return "Proc(%s %d)" % (self.name, self.p.pid)

    @property
    def pid(self):
        return self.p.pid

    @property
    def returncode(self):
        return self.p.returncode

    @property
    def stdout(self):
        return self.p.stdout

    def poll(self):
        return self.p.poll()

    def alive(self):
        return self.p.poll() is None

    def send_signal(self, sig):
        self.p.send_signal(sig)

    def wait(self, timeout=None):
        return self.p.wait(timeout=timeout)

    def output(self, limit=None):
        """What it wrote to its log so far (the last limit characters)."""
        return read_text(self.log, limit)

    def stop(self, sig=signal.SIGTERM, timeout=STOP_TIMEOUT):
        """sig, then SIGKILL after timeout seconds; returns the exit status."""
        rc = stop_process(self.p, sig, timeout)
        if self.p.stdout:
            self.p.stdout.close()
        return rc


def read_line(proc, timeout):
    """One line from a child's stdout pipe (bytes, b"" if none came within timeout s)."""
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    return proc.stdout.readline() if ready else b""


def wait_for(cond, timeout, interval=0.02, proc=None, what="condition", error=AssertionError):
    """Poll cond() until it returns something true, for at most timeout seconds; returns that
    value. Raises error if it does not come, or if proc (a Proc or Popen) exits meanwhile. what
    (a string, or a function that makes one) names what was awaited in the error."""
    deadline = time.monotonic() + timeout
    while True:
        got = cond()
        if got:
            return got
        if proc is not None and proc.poll() is not None:
            name = getattr(proc, "name", None) or "process %d" % proc.pid
            raise error("%s exited (status %s) while waiting for %s"
                        % (name, proc.returncode, what() if callable(what) else what))
        if time.monotonic() > deadline:
            raise error("no %s within %g s" % (what() if callable(what) else what, timeout))
        time.sleep(interval)


def wait_started(proc, wait):
    """Run wait(), which waits until proc (a Proc) is ready. If it fails, kill proc and raise
    LabError with what proc wrote."""
    try:
        return wait()
    except LabError as e:
        proc.stop(signal.SIGKILL)
        raise LabError("%s did not start (%s); its output:\n%s"
                       % (proc.name, e, proc.output(4000)))


# -- /proc ----------------------------------------------------------------------------------------

def proc_net_has(addr, port, tcp):
    """True if this namespace has a socket bound to addr:port (TCP: listening)."""
    import ipaddress
    ip = ipaddress.ip_address(addr)
    if ip.version == 4:
        path = "/proc/net/tcp" if tcp else "/proc/net/udp"
        # /proc/net shows IPv4 addresses as one little-endian 32-bit hex word.
        want = "%08X:%04X" % (int.from_bytes(ip.packed, "little"), port)
    else:
        path = "/proc/net/tcp6" if tcp else "/proc/net/udp6"
        words = [ip.packed[i:i + 4] for i in range(0, 16, 4)]
        want = "".join("%08X" % int.from_bytes(w, "little") for w in words) + ":%04X" % port
    try:
        with open(path) as f:
            for line in f.readlines()[1:]:
                fields = line.split()
                if len(fields) > 3 and fields[1] == want and (not tcp or fields[3] == "0A"):
                    return True
    except FileNotFoundError:
        pass
    return False


def wait_listening(addr, port=53, timeout=START_TIMEOUT, proc=None, what="server",
                   udp_only=False):
    """Wait until something listens on addr:port over UDP and TCP (udp_only: UDP), without
    sending anything (a query would warm a resolver's cache), for at most timeout seconds."""
    def listening():
        return proc_net_has(addr, port, False) and (udp_only or proc_net_has(addr, port, True))
    wait_for(listening, timeout, 0.02, proc, "%s listening on %s port %d (%s)"
             % (what, addr, port, "UDP" if udp_only else "UDP and TCP"), error=LabError)


def _stat(pid):
    """The fields of /proc/PID/stat after the command name: [state, ppid, ...]."""
    with open("/proc/%d/stat" % pid) as f:
        return f.read().rsplit(")", 1)[1].split()


def proc_state(pid):
    """The state letter of a process (R, S, T for stopped, ...)."""
    return _stat(pid)[0]


def cpu_times(pid):
    """(user, system) CPU seconds a process has used so far."""
    fields = _stat(pid)
    tck = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tck, int(fields[12]) / tck


def ctxt_switches(pid):
    """(voluntary, involuntary) context switches of a process so far, over all its threads."""
    vol = invol = 0
    for tid in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/status" % (pid, tid)) as f:
            for line in f:
                if line.startswith("voluntary_ctxt_switches:"):
                    vol += int(line.split()[1])
                elif line.startswith("nonvoluntary_ctxt_switches:"):
                    invol += int(line.split()[1])
    return vol, invol


def rss_kib(pid):
    """A process's resident set size in KiB (None if /proc does not say)."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return None
