"""Workload 5 of bench/bench.py: cached answers with worker threads (issue 14, "Worker threads"):
rootwalkd with `num-threads: 1` and `num-threads: 2`, and Unbound with `num-threads: 2`, one
after the other in the same run, each started fresh, warmed with the cached names, then given
workload 1's load (dnsperf -T --threads at full speed for --duration seconds) and workload 1's
latency run (--latency-qps for --latency-duration seconds).

Figures per resolver: queries/s, answers per CPU-second of the resolver (user + system time of
all its threads, from /proc), its CPU use, dnsperf's CPU use, and latency p50/p99. On these
two-CPU machines dnsperf needs about one core itself at full speed: a resolver with two workers
competes with dnsperf for the second core, so the row measures how much of the second core a
second worker can turn into answers beside its load generator, not what two free cores would
give. The notes say how much CPU each side used.
"""

import os

from rwlab import resolvers

PREFIX1 = "th1_"  # rootwalkd, num-threads: 1
PREFIX2 = "th2_"  # rootwalkd and Unbound, num-threads: 2
WORKERS_LINE = "num-threads: %d"


def available(binary):
    """True if this rootwalkd has worker threads (it accepts num-threads: 2)."""
    return resolvers.rootwalkd_accepts(binary, [WORKERS_LINE % 2])


def _one(b, r):
    """Workload 1's load and latency run on the started resolver r (warmed here)."""
    b.warm_cached(r)
    out = b.saturate(r, b.args.threads)
    lat = b.dnsperf(r.addr, "cached", clients=b.args.clients, outstanding=b.args.outstanding,
                    limit=b.args.latency_duration, qps=b.args.latency_qps, verbose=True)
    lats = sorted(lat["latencies"])
    if lats:
        out["p50_us"] = _pct(lats, 50) * 1e6
        out["p99_us"] = _pct(lats, 99) * 1e6
    out["lat_lost"] = lat["lost"]
    keep = ("qps", "q_per_cpu_s", "cpu_pct", "dnsperf_cpu_pct", "lost", "p50_us", "p99_us",
            "user_us_per_q", "sys_us_per_q", "lat_lost")
    return {k: out.get(k) for k in keep}


def cached(b, order, stop_resolver):
    """Run workload 5 on Bench b, the resolvers in order (a list of "rootwalkd" and "unbound",
    which alternates between repetitions; rootwalkd's two settings keep their order). Returns
    ({rootwalkd figures}, {Unbound figures}), every key starting with PREFIX1 or PREFIX2."""
    rw, ub = {}, {}
    for kind in order:
        if kind == "rootwalkd":
            for n, prefix in ((1, PREFIX1), (2, PREFIX2)):
                r = b.start_rootwalkd(extra_lines=[WORKERS_LINE % n])
                try:
                    rw.update({prefix + k: v for k, v in _one(b, r).items()})
                finally:
                    stop_resolver(r)
        else:
            r = b.start_unbound(lines=[WORKERS_LINE % 2])
            try:
                ub.update({PREFIX2 + k: v for k, v in _one(b, r).items()})
            finally:
                stop_resolver(r)
    return rw, ub


def _pct(sorted_vals, p):
    k = min(len(sorted_vals) - 1, max(0, int(round(p / 100.0 * len(sorted_vals) + 0.5)) - 1))
    return sorted_vals[k]


def rows(rw, ub, row, fmt, med, ratio, args):
    """The table rows of workload 5: row(workload, figure, rootwalkd-column values,
    Unbound-column values, digits, goal, goal text) as bench.build_table's."""
    g = lambda d, k: d.get(k, [])
    w = "5 threads"
    if not g(rw, PREFIX2 + "qps"):
        if not args.only_flood:
            row(w, "queries/s at 1 and 2 worker threads", [], [], 0, None,
                "skipped: %s" % ("--threads-row no" if args.threads_row == "no" else
                                 "this rootwalkd has no num-threads"))
        return
    cpus = os.cpu_count() or 1
    load = "workload 1's load (dnsperf -T %d)" % args.threads
    row(w, "queries/s, 2 workers / Unbound num-threads: 2, %s" % load, g(rw, PREFIX2 + "qps"),
        g(ub, PREFIX2 + "qps"), 0, (">=", 1.2), "≥ 1.2 (issue 14)")
    row(w, "resolver CPU use during that run (%), 2 workers / Unbound num-threads: 2",
        g(rw, PREFIX2 + "cpu_pct"), g(ub, PREFIX2 + "cpu_pct"), 0, None,
        "dnsperf's own CPU use: %s%% / %s%% (%d cores shared by both)" % (
            fmt(med(g(rw, PREFIX2 + "dnsperf_cpu_pct"))),
            fmt(med(g(ub, PREFIX2 + "dnsperf_cpu_pct"))), cpus))
    row(w, "queries/s, 1 worker / Unbound num-threads: 2", g(rw, PREFIX1 + "qps"),
        g(ub, PREFIX2 + "qps"), 0, None, "2 workers / 1 worker: %s; CPU use 1 worker %s%%, "
        "dnsperf %s%%" % (ratio(g(rw, PREFIX2 + "qps"), g(rw, PREFIX1 + "qps")),
                          fmt(med(g(rw, PREFIX1 + "cpu_pct"))),
                          fmt(med(g(rw, PREFIX1 + "dnsperf_cpu_pct")))))
    row(w, "answers per CPU-second, 2 workers / Unbound num-threads: 2",
        g(rw, PREFIX2 + "q_per_cpu_s"), g(ub, PREFIX2 + "q_per_cpu_s"), 0, None,
        "user + system µs per answer: %s + %s / %s + %s" % (
            fmt(med(g(rw, PREFIX2 + "user_us_per_q")), 2),
            fmt(med(g(rw, PREFIX2 + "sys_us_per_q")), 2),
            fmt(med(g(ub, PREFIX2 + "user_us_per_q")), 2),
            fmt(med(g(ub, PREFIX2 + "sys_us_per_q")), 2)))
    row(w, "answers per CPU-second, 1 worker / Unbound num-threads: 2",
        g(rw, PREFIX1 + "q_per_cpu_s"), g(ub, PREFIX2 + "q_per_cpu_s"), 0, None,
        "2 workers / 1 worker: %s" % ratio(g(rw, PREFIX2 + "q_per_cpu_s"),
                                           g(rw, PREFIX1 + "q_per_cpu_s")))
    lq = "at %s q/s, %d s" % (fmt(args.latency_qps), args.latency_duration)
    row(w, "latency p99 (µs) %s, 2 workers / Unbound num-threads: 2" % lq,
        g(rw, PREFIX2 + "p99_us"), g(ub, PREFIX2 + "p99_us"), 0, None,
        "1 worker: %s; p50: %s (2 workers), %s (1 worker), %s (Unbound)" % (
            fmt(med(g(rw, PREFIX1 + "p99_us"))), fmt(med(g(rw, PREFIX2 + "p50_us"))),
            fmt(med(g(rw, PREFIX1 + "p50_us"))), fmt(med(g(ub, PREFIX2 + "p50_us")))))
    row(w, "queries lost (of those sent), 2 workers / Unbound num-threads: 2",
        g(rw, PREFIX2 + "lost"), g(ub, PREFIX2 + "lost"), 0, None,
        "1 worker: %s" % fmt(med(g(rw, PREFIX1 + "lost"))))
