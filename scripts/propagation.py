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
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rwlab import control, traces  # noqa: E402
from rwlab.labnet import Lab  # noqa: E402
from rwlab.zonefiles import set_rrset  # noqa: E402

NAME = "video-platform.com."
OLD, NEW = "203.0.113.42", "203.0.113.43"
STEP_TIMEOUT = 20  # seconds any one command may take


def run(argv, shown):
    print("$ " + shown)
    p = subprocess.run(argv, capture_output=True, text=True, timeout=STEP_TIMEOUT)
    sys.stdout.write(p.stdout + p.stderr)
    sys.stdout.flush()
    return p


def cache_hit_trace(r):
    """The text trace of the second client question for NAME A: the cache hit (traces are
    written just after the answer goes out: wait for it, bounded)."""
    got = traces.wait_text(r.trace_log, NAME, "A", count=2)
    return "\n".join(got[1]) + "\n" if len(got) > 1 else ";; (no trace appeared)\n"


def main():
    rootwalk = control.cli_path()
    the_lab = Lab()
    the_lab.start()
    try:
        r, sock = control.start_with_socket(the_lab)
        ctl = [rootwalk, "-s", sock]
        dig = ["dig", "@" + r.addr, "+time=2", "+tries=1", "+noall", "+answer"]

        print("# 1. A client asks; rootwalkd walks and caches the answer for its TTL (300 s).")
        run(dig + [NAME, "A"], "dig @%s %s A +noall +answer" % (r.addr, NAME))
        time.sleep(3)

        print("\n# 2. The owner moves the site: the zone on ns1/ns2.dnshost.net now says %s."
              % NEW)
        z = the_lab.read_zone(NAME)
        set_rrset(z, NAME, "A", 300, NEW)
        serial = the_lab.write_zone(NAME, z)
        run(["dig", "@127.3.0.1", "+time=2", "+tries=1", "+noall", "+answer", NAME, "A"],
            "dig @127.3.0.1 %s A +noall +answer    # the authoritative server (serial %d)"
            % (NAME, serial))

        print("\n# 3. Clients of rootwalkd still get the old address, its TTL counting down.")
        run(dig + [NAME, "A"], "dig @%s %s A +noall +answer" % (r.addr, NAME))
        print("$ tail trace.log    # its trace: a cache hit, from where and until when")
        print(cache_hit_trace(r).rstrip("\n"))

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
