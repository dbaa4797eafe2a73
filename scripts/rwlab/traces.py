"""Reading rootwalkd's trace logs: JSON (one event per line, grouped by trace id) and text."""

import datetime
import json
import os
import re
import time

import dns.rdatatype

from rwlab.dnsq import TIMEOUT
from rwlab.procs import read_text


def read_json_traces(path):
    """Parse a JSON trace log: {trace id: [events in order]}, in order of first appearance.
    Every line must be a JSON object with "trace" and "ev". A last line without its newline is
    a write still in progress (the daemon writes batches of traces while the tests read; a
    reader can see the first part of a write) and is left out."""
    traces = {}
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if not line.endswith("\n"):
                break  # only the last line can lack it: the rest of it is not written yet
            line = line.strip()
            if not line:
                continue
            try:
                ev = json.loads(line)
            except ValueError as e:
                raise AssertionError("%s:%d: not JSON (%s): %r" % (path, n, e, line[:200]))
            assert isinstance(ev, dict) and "trace" in ev and "ev" in ev, \
                "%s:%d: event without trace/ev: %r" % (path, n, line[:200])
            traces.setdefault(ev["trace"], []).append(ev)
    return traces


def norm_name(n):
    n = str(n).lower()
    return "." if n in ("", ".") else n.rstrip(".") + "."


def norm_type(t):
    if isinstance(t, int):
        return dns.rdatatype.to_text(t)
    return str(t).upper()


def traces_for(path, qname, qtype):
    """Traces (lists of events) whose query event asks qname/qtype, oldest first."""
    out = []
    for events in read_json_traces(path).values():
        q = [e for e in events if e["ev"] == "query"]
        if q and norm_name(q[0].get("qname")) == norm_name(qname) \
                and norm_type(q[0].get("qtype")) == norm_type(qtype):
            out.append(events)
    return out


def _wait_whole(find, whole, count, timeout):
    """Call find() until `count` of the traces it returns are whole, for at most timeout s;
    returns its last result."""
    deadline = time.monotonic() + timeout
    while True:
        got = find()
        if len([t for t in got if whole(t)]) >= count or time.monotonic() > deadline:
            return got
        time.sleep(0.05)


def wait_trace(path, qname, qtype, count=1, timeout=TIMEOUT):
    """Wait until the trace log holds `count` whole traces for qname/qtype, each up to its
    "done" event (they are written when the query completes, which may be just after the
    answer was sent, and a reader may see a write half done). Returns the traces found, whole
    or not, after at most timeout s."""
    return _wait_whole(lambda: traces_for(path, qname, qtype) if os.path.exists(path) else [],
                       lambda t: t[-1]["ev"] == "done", count, timeout)


def nth(path, qname, qtype="A", index=0, timeout=TIMEOUT, missing="fail"):
    """The index-th trace (0: the first) of qname/qtype in the JSON trace log at path, or with
    index -1 the latest, waited for (at most timeout s). If it is not there: an AssertionError
    showing the end of the log, or with missing=None, []."""
    traces = wait_trace(path, qname, qtype, count=max(index, 0) + 1, timeout=timeout)
    if len(traces) > max(index, 0):
        return traces[index]
    if missing is None:
        return []
    raise AssertionError("no trace #%d for %s %s in %s:\n%s" % (
        index + 1, qname, qtype, path, read_text(path, 3000) or "(no trace log)"))


def events(trace, ev, **match):
    """The events of one kind in a trace, those whose fields equal match's if given."""
    return [e for e in trace if e["ev"] == ev and all(e.get(k) == v for k, v in match.items())]


def walk_upstream(trace):
    """Upstream queries of the walk itself: the done event's count without the validator's DS
    and DNSKEY lookups (upstream_dnssec)."""
    done = trace[-1]
    return int(done["upstream"]) - int(done.get("upstream_dnssec", 0))


def walk_events(trace, ev, **match):
    """events() of the walk and its address lookups, without the validator's (steps v1, v2...)."""
    return [e for e in events(trace, ev, **match) if not str(e.get("step", "")).startswith("v")]


def brief(trace):
    """A trace in a few lines, for assertion messages."""
    keys = ("step", "zone", "source", "addr", "proto", "qname", "qtype", "edns", "kind", "reason",
            "rcode", "to_zone", "after_ms", "for_zone")
    return "\n".join("%s %s" % (e["ev"], " ".join("%s=%s" % (k, e[k]) for k in keys if k in e))
                     for e in trace)


def parse_iso(s):
    """ISO 8601 UTC ('2026-11-25T10:00:00Z' or with fractional seconds) to epoch seconds."""
    s = s.strip()
    assert s.endswith("Z"), "not UTC ('Z' suffix): %r" % s
    s = s[:-1]
    frac = 0.0
    if "." in s:
        s, f = s.split(".", 1)
        frac = float("0." + f)
    dt = datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc)
    return dt.timestamp() + frac


def text_traces(text):
    """Split a text trace log into traces: lists of lines, each starting at a ';; trace' line."""
    out = []
    for line in text.splitlines():
        if line.startswith(";; trace "):
            out.append([])
        if out and line.strip():
            out[-1].append(line)
    return out


# The first line of the text trace of a client's question: trace id, time, client address and
# port, qname, qtype, protocol.
TEXT_HEADER = re.compile(r"^;; trace ([0-9a-f]{16})\s+(\S+)\s+client ([0-9a-f.:]+)#(\d+)\s+"
                         r"(\S+) (\S+)\s+\((udp|tcp)")


def text_done(trace):
    """True if a text trace (a list of lines) is whole: it has its ';; done in' line."""
    return any(line.startswith(";; done in ") for line in trace)


def text_traces_for(text, qname, qtype="A"):
    """The text traces (lists of lines) of client questions for qname/qtype, oldest first."""
    out = []
    for t in text_traces(text):
        h = TEXT_HEADER.match(t[0])
        if h and norm_name(h.group(5)) == norm_name(qname) and \
                norm_type(h.group(6)) == norm_type(qtype):
            out.append(t)
    return out


def wait_text(path, qname, qtype="A", count=1, timeout=TIMEOUT):
    """Wait until the text trace log at path holds `count` whole traces of client questions for
    qname/qtype (see wait_trace); returns the ones found, whole or not, after at most timeout
    s."""
    return _wait_whole(lambda: text_traces_for(read_text(path), qname, qtype), text_done, count,
                       timeout)
