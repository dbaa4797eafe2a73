#!/usr/bin/python3
"""Check the layering of the C sources: no two files (or rings of files) call each other.

    scripts/layering.py [--graph] [DIR...]      (default: src/core src/daemon src/client)

A file depends on another when it calls a function defined there (a definition is a function
that starts at column 0; calls are found by name, so a name mentioned in a comment counts too:
keep comments honest). Prints every cycle found and exits 1 if there is one; with --graph also
prints each file's dependencies."""

import os
import re
import sys

DEF = re.compile(r"^(?!static\b)[A-Za-z_][\w \*]*?\b([a-z_][a-z0-9_]*)\s*\([^;]*$")
CALL = re.compile(r"\b([a-z_][a-z0-9_]*)\s*\(")


def strip(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r'"(\\.|[^"\\])*"', '""', text)


def graph(dirs):
    defs, calls = {}, {}
    for d in dirs:
        for f in sorted(os.listdir(d)):
            if not f.endswith(".c"):
                continue
            path = os.path.join(d, f)
            text = strip(open(path).read())
            for line in text.splitlines():
                m = DEF.match(line)
                if m and not line.startswith(("return", "else", "typedef")):
                    defs.setdefault(m.group(1), path)
            calls[path] = set(CALL.findall(text))
    deps = {p: sorted({defs[n] for n in names if n in defs and defs[n] != p})
            for p, names in calls.items()}
    return deps


def cycles(deps):
    """Strongly connected components with more than one file (Tarjan)."""
    index, low, stack, on, out, n = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = n[0]
        n[0] += 1
        stack.append(v)
        on.add(v)
        for w in deps.get(v, []):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(deps):
        if v not in index:
            visit(v)
    return out


def main(argv):
    show = "--graph" in argv
    dirs = [a for a in argv if not a.startswith("--")] or ["src/core", "src/daemon",
                                                           "src/client"]
    deps = graph(dirs)
    if show:
        for p in sorted(deps):
            print("%s -> %s" % (p, ", ".join(deps[p]) or "-"))
    found = cycles(deps)
    for c in found:
        print("cycle: " + " <-> ".join(c))
    print("layering: %d files, %d cycle(s)" % (len(deps), len(found)))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
