"""Workload 1b of bench/bench.py: cached answers through dnsdist in front of two rootwalkd
(issue 14, "Past one machine"), beside workload 1's one rootwalkd asked directly and Unbound.

dnsdist (Debian's, the README recipe's settings: chashed, health checks; rwlab.dnsdist) listens
on 127.0.0.56 in front of two rootwalkd on 127.0.0.57 and 127.0.0.58, each configured as
workload 1's rootwalkd (and started with a control socket, for their query counts). The cached
names are warmed through dnsdist (so each name is cached on the backend its hash picks), then
dnsperf runs the same load as workload 1 against dnsdist, and the same latency run.

On these two-CPU machines dnsperf, dnsdist and both backends share the two cores: the row
measures what the extra hop costs, not what two machines would give.
"""

import os

from rwlab import control, dnsdist, procs

DD_ADDR = "127.0.0.56"
BACKENDS = [("rw1", "127.0.0.57"), ("rw2", "127.0.0.58")]
PREFIX = "dd_"  # of every figure this workload adds to rootwalkd's results


def _cpu(pids):
    """{pid: user + system CPU seconds so far}."""
    return {p: sum(procs.cpu_times(p)) for p in pids}


def _client_queries(r):
    """UDP + TCP client queries a backend has answered so far (its control socket's stats)."""
    st = dict(l.split(": ", 1) for l in control.request(r.control, "stats") if ": " in l)
    return int(st.get("client.queries.udp", 0)) + int(st.get("client.queries.tcp", 0))


def cached(b, register, stop_resolver):
    """Run workload 1b on Bench b; register(proc) registers a process for the bench's final
    stop_all(), stop_resolver(r) stops one. Returns {figure: value}, every key starting with
    PREFIX."""
    a = b.args
    rws, dd = [], None
    try:
        for _name, addr in BACKENDS:
            rws.append(b.start_rootwalkd(control=True, addr=addr))
        dd = dnsdist.start(b.newdir("dnsdist"), DD_ADDR, BACKENDS, cpu=b.cpu_server)
        register(dd.proc)
        dd.wait_states({n: "up" for n, _ in BACKENDS}, timeout=10)
        b.warm_cached(dd)
        q0 = [_client_queries(r) for r in rws]
        pids = [dd.proc.pid] + [r.proc.pid for r in rws]
        c0 = _cpu(pids)
        res = b.dnsperf(dd.addr, "cached", clients=a.clients, outstanding=a.outstanding,
                        limit=a.duration, threads=a.threads)
        c1 = _cpu(pids)
        q1 = [_client_queries(r) for r in rws]
        t = res["runtime"] or 1.0
        used = {p: c1[p] - c0[p] for p in pids}
        total = sum(used.values())
        n = max(res["completed"], 1)
        split = [y - x for x, y in zip(q0, q1)]
        out = {"qps": res["qps"], "lost": res["lost"], "avg_ms": res["avg_s"] * 1e3,
               "cpu_pct": 100.0 * total / t,
               "dnsdist_cpu_pct": 100.0 * used[dd.proc.pid] / t,
               "backends_cpu_pct": 100.0 * (total - used[dd.proc.pid]) / t,
               "dnsperf_cpu_pct": res["client_cpu_pct"],
               "q_per_cpu_s": n / total if total > 0 else None,
               "dnsdist_us_per_q": 1e6 * used[dd.proc.pid] / n,
               "busier_backend_pct": 100.0 * max(split) / max(sum(split), 1)}
        lat = b.dnsperf(dd.addr, "cached", clients=a.clients, outstanding=a.outstanding,
                        limit=a.latency_duration, qps=a.latency_qps, verbose=True)
        lats = sorted(lat["latencies"])
        if lats:
            out["p50_us"] = _pct(lats, 50) * 1e6
            out["p99_us"] = _pct(lats, 99) * 1e6
        return {PREFIX + k: v for k, v in out.items()}
    finally:
        if dd is not None:
            stop_resolver(dd)
        for r in rws:
            stop_resolver(r)


def _pct(sorted_vals, p):
    k = min(len(sorted_vals) - 1, max(0, int(round(p / 100.0 * len(sorted_vals) + 0.5)) - 1))
    return sorted_vals[k]


def rows(rw, ub, row, fmt, med, ratio, args):
    """The table rows of workload 1b: row(workload, figure, rootwalkd-column values,
    Unbound-column values, digits, goal, note) as bench.build_table's; rw, ub: the results."""
    g = lambda d, k: d.get(PREFIX + k, [])
    if not g(rw, "qps"):
        if args.dnsdist == "yes" and not args.only_flood:
            row("1b dnsdist", "queries/s through dnsdist, 2 rootwalkd behind it", [], [], 0,
                None, "skipped: dnsdist is not installed")
        return
    w = "1b dnsdist"
    row(w, "queries/s through dnsdist, 2 rootwalkd behind it (chashed), workload 1's load",
        g(rw, "qps"), ub.get("qps", []), 0, None,
        "%s of one rootwalkd asked directly; CPU use: dnsdist %s%%, both backends %s%%, "
        "dnsperf %s%% (%d cores shared by all four); %s" % (
            ratio(g(rw, "qps"), rw.get("qps", [])), fmt(med(g(rw, "dnsdist_cpu_pct"))),
            fmt(med(g(rw, "backends_cpu_pct"))), fmt(med(g(rw, "dnsperf_cpu_pct"))),
            os.cpu_count() or 1, dnsdist.version().split(" (")[0]))
    row(w, "answers per CPU-second of dnsdist and both backends", g(rw, "q_per_cpu_s"),
        ub.get("q_per_cpu_s", []), 0, None,
        "%s of one rootwalkd directly; dnsdist alone %s µs per answer" % (
            ratio(g(rw, "q_per_cpu_s"), rw.get("q_per_cpu_s", [])),
            fmt(med(g(rw, "dnsdist_us_per_q")), 2)))
    row(w, "busier backend's share of the answers (%)", g(rw, "busier_backend_pct"), [], 1,
        None, "50: an even split of the cached names by their hash")
    lq = "at %s q/s, %d s" % (fmt(args.latency_qps), args.latency_duration)
    row(w, "latency p50 (µs) %s" % lq, g(rw, "p50_us"), ub.get("p50_us", []), 0, None,
        "one rootwalkd directly: %s" % fmt(med(rw.get("p50_us", []))))
    row(w, "latency p99 (µs) %s" % lq, g(rw, "p99_us"), ub.get("p99_us", []), 0, None,
        "one rootwalkd directly: %s" % fmt(med(rw.get("p99_us", []))))
    row(w, "queries lost (of those sent)", g(rw, "lost"), ub.get("lost", []), 0)


def available():
    """True if dnsdist is installed (the row is skipped, with a note, if not)."""
    return dnsdist.available()
