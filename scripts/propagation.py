#!/usr/bin/python3
"""The "debugging propagation" walkthrough of the README, played in the lab.

    ninja -C build
    scripts/in_lab.sh /usr/bin/python3 scripts/propagation.py

Starts the lab and rootwalkd (with a control socket), asks for video-platform.com A, changes
that address in the lab's copy of the zone (the authoritative servers reload it), and shows
what an operator sees: the old address still served, its trace and `rootwalk lookup` saying
from which server and until when, then `rootwalk flush` and the new address. Prints a
shell-like transcript; everything is stopped at the end.
ROOTWALKD and ROOTWALK name the binaries (default build/src/daemon/rootwalkd and
build/src/client/rootwalk).
"""

import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lab  # noqa: E402

import dns.rdataset  # noqa: E402

NAME = "video-platform.com."
OLD, NEW = "203.0.113.42", "203.0.113.43"
STEP_TIMEOUT = 20  # seconds any one command may take


def run(argv, shown):
    print("$ " + shown)
    p = subprocess.run(argv, capture_output=True, text=True, timeout=STEP_TIMEOUT)
    sys.stdout.write(p.stdout + p.stderr)
    sys.stdout.flush()
    return p


def trace_count(r):
    try:
        with open(r.trace_log) as f:
            return f.read().count(";; done in ")
    except FileNotFoundError:
        return 0


def last_trace(r, before, timeout=2.0):
    """The text trace written after the first `before` ones (traces are written just after the
    answer goes out: wait for it, bounded)."""
    deadline = time.monotonic() + timeout
    while True:
        with open(r.trace_log) as f:
            text = f.read()
        traces = [";; trace " + t for t in text.split(";; trace ")[1:]]
        done = [t for t in traces if ";; done in " in t]
        if len(done) > before or time.monotonic() > deadline:
            return done[-1] if len(done) > before else ";; (no trace appeared)\n"
        time.sleep(0.05)


def main():
    build = os.path.join(lab.REPO, "build")
    rootwalk = os.path.abspath(os.environ.get("ROOTWALK") or
                               os.path.join(build, "src", "client", "rootwalk"))
    the_lab = lab.Lab()
    the_lab.start()
    try:
        sock = os.path.join(tempfile.mkdtemp(prefix="ctl-", dir=the_lab.tmp), "control.sock")
        r = the_lab.start_rootwalkd(trace_format="text", extra="control-socket: %s\n" % sock,
                                    binary=os.environ.get("ROOTWALKD"))
        deadline = time.monotonic() + 5
        while not os.path.exists(sock) and time.monotonic() < deadline:
            time.sleep(0.02)
        ctl = [rootwalk, "-s", sock]
        dig = ["dig", "@" + r.addr, "+time=2", "+tries=1", "+noall", "+answer"]

        print("# 1. A client asks; rootwalkd walks and caches the answer for its TTL (300 s).")
        run(dig + [NAME, "A"], "dig @%s %s A +noall +answer" % (r.addr, NAME))
        time.sleep(3)

        print("\n# 2. The owner moves the site: the zone on ns1/ns2.dnshost.net now says %s."
              % NEW)
        z = the_lab.read_zone(NAME)
        z.replace_rdataset(NAME, dns.rdataset.from_text("IN", "A", 300, NEW))
        serial = the_lab.write_zone(NAME, z)
        run(["dig", "@127.3.0.1", "+time=2", "+tries=1", "+noall", "+answer", NAME, "A"],
            "dig @127.3.0.1 %s A +noall +answer    # the authoritative server (serial %d)"
            % (NAME, serial))

        print("\n# 3. Clients of rootwalkd still get the old address, its TTL counting down.")
        before = trace_count(r)
        run(dig + [NAME, "A"], "dig @%s %s A +noall +answer" % (r.addr, NAME))
        print("$ tail trace.log    # its trace: a cache hit, from where and until when")
        print(last_trace(r, before).rstrip("\n"))

        print("\n# 4. What is cached at the name, and until when?")
        run(ctl + ["lookup", NAME], "rootwalk lookup %s" % NAME)

        print("\n# 5. Either wait until the expiry above, or flush the name: the next query "
              "walks again.")
        run(ctl + ["flush", NAME], "rootwalk flush %s" % NAME)
        run(dig + [NAME, "A"], "dig @%s %s A +noall +answer" % (r.addr, NAME))
        return 0
    finally:
        the_lab.stop()


if __name__ == "__main__":
    sys.exit(main())
