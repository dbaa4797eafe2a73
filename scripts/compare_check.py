#!/usr/bin/python3
"""`rootwalk check` beside Zonemaster (zonemaster-cli) and DNSViz (dnsviz probe/grok/print) on
the lab zones of issue 15, one failure each: the README's comparison table.

    ninja -C build
    scripts/in_lab.sh /usr/bin/python3 scripts/compare_check.py [--out DIR] [ZONE...]

Starts the lab and a rootwalkd with a control socket, then for each case runs the three tools
(each with a time limit: TOOL_TIMEOUT), keeps their full output in DIR (default: a new
directory under /tmp, printed at the end) and prints one markdown table: per case, what each
tool reports at warning level and above. Findings every lab zone gets only because the lab runs
on 127.0.0.0/8 without reverse zones (Zonemaster ADDRESS01/ADDRESS02, DNSViz
NS_NAME_PRIVATE_IP/GLUE_PRIVATE_IP) and the DNSSEC notes (the lab's root key is not the one
DNSViz and Zonemaster trust) are counted apart, in the last column.
Zonemaster is pointed at the lab with --hints zones/root.hints; DNSViz with
-x .:a.root-servers.net=127.1.0.1,b.root-servers.net=127.1.0.2 (-A: authoritative analysis).
Neither tool is needed by the tests (Debian packages zonemaster-cli and dnsviz; this script is
run by hand). ROOTWALKD and ROOTWALK name the binaries (default build/...).
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rwlab import ROOT_HINTS, control  # noqa: E402
from rwlab.labnet import Lab  # noqa: E402

TOOL_TIMEOUT = 300  # seconds one tool may take on one case (Zonemaster waits on silent servers)

# (failure, zone, name asked, type): the lab zones of `rootwalk check` (zones/lab.conf).
CASES = [
    ("healthy (control)", "healthy.com", "www.healthy.com", "A"),
    ("lame server (REFUSED)", "halflame.com", "www.halflame.com", "A"),
    ("parent/child NS differ", "nsdiff.com", "www.nsdiff.com", "A"),
    ("glue differs from child", "gluediff.com", "www.gluediff.com", "A"),
    ("CNAME at the apex", "apexcname.com", "apexcname.com", "A"),
    ("no A (NODATA)", "nodata.com", "www.nodata.com", "A"),
    ("secondary behind", "propagation.com", "www.propagation.com", "A"),
    ("very long TTL", "longttl.com", "www.longttl.com", "A"),
    ("silent server", "silent.net", "www.silent.net", "A"),
]

# Findings about the lab itself, not the zone: loopback addresses, no reverse zones for them,
# and DNSSEC seen from a trust anchor that is not the lab's.
ZM_LAB = {"ADDRESS01", "ADDRESS02", "DNSSEC07", "UNSPECIFIED", "DELEGATION01"}
DV_LAB = {"NS_NAME_PRIVATE_IP", "GLUE_PRIVATE_IP", "MISSING_SEP_FOR_ALG",
          "NO_SEP", "MISSING_DS"}
ROOTS = "a.root-servers.net=127.1.0.1,b.root-servers.net=127.1.0.2"


def run(argv, out, timeout=TOOL_TIMEOUT, stdin=None):
    """Run argv (its stdout and stderr into the file out); returns (exit status or "timeout",
    the output text)."""
    with open(out, "w") as f:
        try:
            p = subprocess.run(argv, stdout=f, stderr=subprocess.STDOUT, timeout=timeout,
                               stdin=stdin or subprocess.DEVNULL)
            rc = p.returncode
        except subprocess.TimeoutExpired:
            rc = "timeout after %d s" % timeout
    with open(out) as f:
        return rc, f.read()


def zonemaster(zone, d):
    """zonemaster-cli on zone: [(level, testcase, message)] at WARNING and above."""
    rc, text = run(["zonemaster-cli", "--hints", ROOT_HINTS, "--no-ipv6", "--show-testcase",
                    "--level", "INFO", zone], os.path.join(d, "zonemaster-%s.txt" % zone))
    found = []
    for line in text.splitlines():
        m = re.match(r"\s*[\d.]+\s+(WARNING|ERROR|CRITICAL)\s+(\S+)\s+(.*)", line)
        if m:
            found.append(m.groups())
    return rc, found


def dnsviz(name, d):
    """dnsviz probe -A, then grok (warnings and errors) and print: [(code, servers)] from the
    grok JSON, for the name and its zone (not the ancestors: they are the lab's com./net.)."""
    probe = os.path.join(d, "dnsviz-%s.json" % name)
    rc, text = run(["dnsviz", "probe", "-A", "-4", "-x", ".:" + ROOTS, "-o", probe, name],
                   os.path.join(d, "dnsviz-%s-probe.txt" % name))
    if rc != 0 or not os.path.exists(probe):
        return rc, [("probe failed: %s" % text.strip().splitlines()[-1:], [])]
    grok = os.path.join(d, "dnsviz-%s-grok.json" % name)
    with open(probe) as f:
        run(["dnsviz", "grok", "-l", "warning"], grok, stdin=f)
    run(["dnsviz", "print", "-r", probe], os.path.join(d, "dnsviz-%s-print.txt" % name))
    found = []

    def walk(node, where):
        if isinstance(node, dict):
            if "code" in node and "description" in node:
                found.append((node["code"], tuple(node.get("servers", [])), where))
            for k, v in node.items():
                walk(v, where if k in ("errors", "warnings", "error", "warning") else k)
        elif isinstance(node, list):
            for v in node:
                walk(v, where)
    try:
        with open(grok) as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        return rc, [("grok output unreadable: %s" % e, [])]
    zone = ".".join(name.split(".")[-2:]) + "."
    for owner, v in data.items():
        if owner.lower() in (name.lower() + ".", zone):
            walk(v, owner)
    return rc, found


def rootwalk_check(ctl, name, rdtype, d):
    """`rootwalk check NAME TYPE --json` and the text form: (exit status, [(severity, code,
    servers)])."""
    text = ctl.run("check", name, rdtype)
    with open(os.path.join(d, "rootwalk-%s.txt" % name), "w") as f:
        f.write("$ rootwalk check %s %s\n%s%s(exit %d)\n" % (name, rdtype, text.stdout,
                                                             text.stderr, text.returncode))
    p = ctl.run("check", name, rdtype, "--json")
    with open(os.path.join(d, "rootwalk-%s.json" % name), "w") as f:
        f.write(p.stdout + p.stderr)
    try:
        j = json.loads(p.stdout)
    except ValueError:
        return p.returncode, [("?", "no JSON: %s" % (p.stdout + p.stderr).strip()[:200], [])]
    return p.returncode, [(x.get("severity"), x.get("code"), x.get("servers", []))
                          for x in j.get("findings", [])]


def cell(items):
    return "<br>".join(items) if items else "nothing"


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", help="directory for the tools' full output")
    ap.add_argument("zones", nargs="*", help="only these cases (zone names)")
    args = ap.parse_args()
    d = args.out or tempfile.mkdtemp(prefix="compare-check-")
    os.makedirs(d, exist_ok=True)
    cases = [c for c in CASES if not args.zones or c[1] in args.zones]
    lab = Lab()
    lab.start()
    rows = []
    try:
        r, sock = control.start_with_socket(lab)
        ctl = control.Control(r, sock)
        for failure, zone, name, rdtype in cases:
            print("# %s: %s %s" % (failure, name, rdtype), file=sys.stderr, flush=True)
            zrc, zm = zonemaster(zone, d)
            vrc, dv = dnsviz(name, d)
            rrc, rw = rootwalk_check(ctl, name, rdtype, d)
            zm_own = ["%s %s: %s" % (lvl, tc, msg[:90]) for lvl, tc, msg in zm
                      if tc not in ZM_LAB]
            dv_own = sorted({"%s (%s)" % (code, ",".join(servers) or where)
                             for code, servers, where in dv if code not in DV_LAB})
            rw_own = ["%s %s (%s)" % (sev, code, ",".join(servers)) for sev, code, servers in rw]
            lab_only = "zonemaster %d, dnsviz %d" % (
                sum(1 for x in zm if x[1] in ZM_LAB), sum(1 for x in dv if x[0] in DV_LAB))
            rows.append((failure, name, cell(zm_own), cell(dv_own),
                         "exit %s: %s" % (rrc, cell(rw_own)), lab_only))
            if zrc not in (0,) or vrc not in (0,):
                print("  zonemaster exit %s, dnsviz probe exit %s" % (zrc, vrc), file=sys.stderr)
    finally:
        lab.stop()
    print("| failure | name | Zonemaster (warning+) | DNSViz (grok, warning+) | rootwalk check "
          "| lab-only findings |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print("\nfull outputs: %s" % d, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
