#!/usr/bin/python3
"""The README's `rootwalk check` story, played in the lab: video-platform.com moves from
ns1/ns2.dnshost.net to ns1/ns2.newdns.net (scripts/rwlab/movestory.py).

    ninja -C build
    scripts/in_lab.sh /usr/bin/python3 scripts/check_story.py

Starts the lab and rootwalkd with a control socket, then prints a shell-like transcript: a
client's answer cached, `rootwalk check` before the move, during it (com. delegates to the new
host, whose second server is behind), after it (every server agrees, the resolver still holds
the old address), and after `rootwalk flush`. Everything is stopped (and the lab's zones put
back) at the end. tests/integration/test_check.py asserts the same steps. ROOTWALKD and ROOTWALK
name the binaries (default build/src/daemon/rootwalkd and build/src/client/rootwalk).
"""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rwlab import control  # noqa: E402
from rwlab.labnet import Lab  # noqa: E402
from rwlab.movestory import VP, MoveStory  # noqa: E402

STEP_TIMEOUT = 20  # seconds any one command may take


def run(argv, shown):
    print("$ " + shown)
    p = subprocess.run(argv, capture_output=True, text=True, timeout=STEP_TIMEOUT)
    sys.stdout.write(p.stdout + p.stderr)
    if p.returncode:
        print("(exit status %d)" % p.returncode)
    print()
    sys.stdout.flush()
    return p


def main():
    rootwalk = control.cli_path()
    lab = Lab()
    lab.start()
    try:
        r, sock = control.start_with_socket(lab)
        ctl = [rootwalk, "-s", sock]
        dig = ["dig", "@" + r.addr, "+time=2", "+tries=1", "+noall", "+answer"]

        def check():
            run(ctl + ["check", VP], "rootwalk check %s" % VP)

        print("# 1. Before: the site is at ns1/ns2.dnshost.net; a client's answer is cached.\n")
        run(dig + [VP, "A"], "dig @%s %s A +noall +answer" % (r.addr, VP))
        check()
        story = MoveStory(lab)
        try:
            print("# 2. During: the zone's new version (NS ns1/ns2.newdns.net, A 203.0.113.142)"
                  " is loaded\n#    everywhere but ns2.newdns.net, and com. now delegates to"
                  " the new host.\n")
            story.during()
            check()
            print("# 3. After: ns2.newdns.net has loaded it too.\n")
            story.after()
            check()
            print("# 4. This resolver's old answer, flushed.\n")
            run(ctl + ["flush", VP], "rootwalk flush %s" % VP)
            run(dig + [VP, "A"], "dig @%s %s A +noall +answer" % (r.addr, VP))
            check()
        finally:
            story.undo()
    finally:
        lab.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
