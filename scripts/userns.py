#!/usr/bin/python3
"""userns.py COUNT CMD [ARGS...]: run CMD in a new user namespace where uids and gids
0..COUNT-1 are the host's own 0..COUNT-1, as root of that namespace (with every capability in
it, so CMD can go on to make network and mount namespaces: unshare -n, unshare -nm).

Only real root (of the initial user namespace) may write such a map, and it must be written by
a process outside the new namespace: this one forks, the child unshares and waits, the parent
writes the child's uid_map and gid_map, then the child execs CMD and the parent waits for it
and exits with its status. unshare -r maps uid 0 alone; with a whole range, a daemon of the lab
can drop to another user (rootwalkd's username:) and a test can look at what it dropped.
"""

import ctypes
import os
import signal
import sys

CLONE_NEWUSER = 0x10000000


def main():
    if len(sys.argv) < 3:
        sys.stderr.write("usage: userns.py COUNT CMD [ARGS...]\n")
        return 2
    count = int(sys.argv[1])
    libc = ctypes.CDLL(None, use_errno=True)
    ready_r, ready_w = os.pipe()
    go_r, go_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(ready_r)
        os.close(go_w)
        if libc.unshare(CLONE_NEWUSER) != 0:
            sys.stderr.write("userns.py: unshare: %s\n" % os.strerror(ctypes.get_errno()))
            os._exit(1)
        os.write(ready_w, b"u")
        if os.read(go_r, 1) != b"g":
            os._exit(1)  # the parent could not write the maps: it said why
        os.setresgid(0, 0, 0)
        os.setresuid(0, 0, 0)
        os.execvp(sys.argv[2], sys.argv[2:])
    os.close(ready_w)
    os.close(go_r)
    ok = os.read(ready_r, 1) == b"u"
    try:
        if ok:
            for name in ("uid_map", "gid_map"):
                with open("/proc/%d/%s" % (pid, name), "w") as f:
                    f.write("0 0 %d\n" % count)
            os.write(go_w, b"g")
    except OSError as e:
        sys.stderr.write("userns.py: writing the map: %s\n" % e)
    os.close(go_w)
    # Signals meant for CMD (timeout, ^C) are passed on; this process only waits.
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda s, f: os.kill(pid, s))
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except ChildProcessError:
            return 1
    return os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)


if __name__ == "__main__":
    sys.exit(main())
