#!/usr/bin/python3
"""The lab internet: a private DNS hierarchy of NSD servers, plus a resolver under test.

The command line over the rwlab package (scripts/rwlab/: the Lab is rwlab.labnet.Lab). Everything
that starts a process must already run inside a private network namespace (scripts/in_lab.sh
makes one); the lab refuses to run anywhere else, so lab traffic can never leave the machine.

Command line (inside the namespace):
    lab.py check                       check the zone files and the tables, start nothing
    lab.py run [opts] -- CMD ARGS...   start the lab (signed: zones/dnssec.conf) and a resolver,
                                       run CMD, stop everything; CMD gets RESOLVER, LAB_TMP,
                                       LAB_TRUST_ANCHOR (the root's DS), LAB_DELV_ANCHOR...
    lab.py questions                   print the comparison questions generated from the zones
"""

import argparse
import os
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from rwlab import ZONES, LabError  # noqa: E402
from rwlab.labnet import Lab  # noqa: E402
from rwlab.signing import read_plan  # noqa: E402
from rwlab.zonefiles import (FAULT_ZONE_FILES, INVALID_ON_PURPOSE, checkzone,  # noqa: E402
                             questions, read_table)


def cmd_run(args):
    lab = Lab(keep=args.keep)
    try:
        lab.start()
        env = dict(os.environ, LAB_TMP=lab.tmp, LAB_ZONES=lab.zonesdir)
        if lab.trust_anchor:
            # The signed lab's trust anchor: the root's DS (zone-file format, for
            # trust-anchor-file:) and a trust-anchors block for delv -a.
            env.update(LAB_TRUST_ANCHOR=lab.trust_anchor, LAB_DELV_ANCHOR=lab.delv_anchor)
        if args.resolver in ("rootwalkd", "both"):
            r = lab.start_rootwalkd(trace_format=args.trace_format)
            env.update(RESOLVER=r.addr, ROOTWALKD_ADDR=r.addr, TRACE_LOG=r.trace_log,
                       ROOTWALKD_STDERR=r.stderr_path)
        if args.resolver in ("unbound", "both"):
            u = lab.start_unbound(validate=args.validate)
            env.update(UNBOUND_ADDR=u.addr)
            env.setdefault("RESOLVER", u.addr)
        if not args.cmd:
            raise LabError("nothing to run: lab.py run [options] -- CMD ARGS...")
        cmd = args.cmd[1:] if args.cmd[0] == "--" else args.cmd
        try:
            return subprocess.run(cmd, env=env, timeout=args.timeout).returncode
        except subprocess.TimeoutExpired:
            print("lab.py: %s ran longer than %d s; stopped" % (cmd[0], args.timeout),
                  file=sys.stderr)
            return 124
    finally:
        lab.stop()
        if args.keep:
            print("lab.py: kept %s (configs, logs, traces)" % lab.tmp, file=sys.stderr)


def cmd_check(args):
    files = [(z, os.path.join(ZONES, f)) for s in read_table() for z, f in s.files
             if (z, f) not in INVALID_ON_PURPOSE]
    files += [(z, os.path.join(ZONES, "fault", f)) for z, f in FAULT_ZONE_FILES]
    ok = True
    served = {z for s in read_table() for z in s.zones}
    unserved = [z for z in read_plan() if z not in served]
    if unserved:
        print("zones/dnssec.conf signs zones that lab.conf does not serve: %s"
              % " ".join(unserved))
        ok = False
    for origin, path in files:
        r = checkzone(origin, path)
        ok = ok and r.returncode == 0
        sys.stdout.write(r.stdout + r.stderr)
    return 0 if ok else 1


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="start the lab and a resolver, run a command, stop everything")
    run.add_argument("--resolver", choices=["rootwalkd", "unbound", "both", "none"],
                     default="rootwalkd")
    run.add_argument("--validate", action="store_true",
                     help="Unbound validates DNSSEC with the lab's trust anchor")
    run.add_argument("--trace-format", choices=["text", "json"], default="text")
    run.add_argument("--timeout", type=int, default=300, help="seconds CMD may run (default 300)")
    run.add_argument("--keep", action="store_true", help="keep the temp dir (logs, traces)")
    run.add_argument("cmd", nargs=argparse.REMAINDER)
    sub.add_parser("check", help="check the zone files with nsd-checkzone")
    sub.add_parser("questions", help="print the generated comparison questions")
    args = p.parse_args(argv)
    try:
        if args.command == "run":
            return cmd_run(args)
        if args.command == "check":
            return cmd_check(args)
        if args.command == "questions":
            for name, t in questions():
                print(name, t)
            return 0
    except LabError as e:
        print("lab.py: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    # Stop the lab on SIGTERM/SIGINT too: turn them into an exception that unwinds cmd_run.
    def _stop(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, _stop)
    sys.exit(main())
