#!/bin/sh
# rootwalk benchmarks: rootwalkd beside Unbound against a generated lab hierarchy.
#
#   bench/run.sh [--zones N] [--quick] [other options of bench/bench.py, see --help]
#
# Builds an optimized rootwalkd in $BENCH_BUILD (default /tmp/rw/build-bench), then runs
# bench/bench.py in new user, network, PID and mount namespaces (unshare -rnpf --mount-proc):
# the network namespace holds only lo, so no query can leave the machine, and when bench.py
# exits the kernel kills anything in the PID namespace it may have left behind.
# Results: bench/RESULTS.md (latest run first). See bench/README.md.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
build=${BENCH_BUILD:-/tmp/rw/build-bench}
py=/usr/bin/python3 # Debian's, with dnspython

case "${1:-}" in
-h | --help)
	sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
	exec "$py" "$here/bench.py" --rootwalkd /nonexistent --help
	;;
esac

for tool in meson ninja nsd unbound unbound-control dnsperf unshare taskset ip; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "bench/run.sh: $tool is missing (apt-get install nsd unbound dnsperf meson ninja-build iproute2)" >&2
		exit 1
	fi
done
if ! "$py" -c 'import dns.message' 2>/dev/null; then
	echo "bench/run.sh: $py has no dnspython (apt-get install python3-dnspython)" >&2
	exit 1
fi

if [ ! -f "$build/build.ninja" ]; then
	meson setup "$build" "$repo" -Dbuildtype=release >&2
fi
ninja -C "$build" src/daemon/rootwalkd floor >&2
buildtype=$(meson introspect --buildoptions "$build" 2>/dev/null |
	"$py" -c 'import json,sys; print([o["value"] for o in json.load(sys.stdin) if o["name"]=="buildtype"][0])' 2>/dev/null ||
	echo unknown)

# The command as typed, for RESULTS.md.
cmd="bench/run.sh"
for a in "$@"; do cmd="$cmd $a"; done

# timeout: a hard bound on the whole run on top of bench.py's own --max-time.
exec timeout --signal=TERM --kill-after=30 1800 \
	unshare -rnpf --mount-proc --kill-child=TERM \
	"$py" "$here/bench.py" --rootwalkd "$build/src/daemon/rootwalkd" --floor "$build/floor" \
	--buildtype "$buildtype" --command "$cmd" "$@"
