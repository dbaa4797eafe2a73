#!/bin/bash
# demo.sh: the main job. Builds rootwalkd if needed, then, inside a private network namespace,
# starts the lab internet (one NSD per server in zones/lab.conf, signed with DNSSEC as
# zones/dnssec.conf says) and rootwalkd with the lab root hints and trust anchor, asks it six
# questions with dig (the last two with +dnssec: a secure and a bogus name) and prints each answer
# with the trace rootwalkd wrote for it, then runs dig +trace through it (/etc/resolv.conf, in a private mount namespace,
# names rootwalkd). Everything is stopped at the end; the whole run is bounded (under a minute).
#
#   scripts/demo.sh             build if needed, run the demo
#   ROOTWALKD=path demo.sh      use that daemon binary (default build/src/daemon/rootwalkd)
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
PY=/usr/bin/python3 # Debian's python3, which has dnspython (see ../shared/LAB.md)

queries() {
	# Runs inside the namespace, under lab.py run: RESOLVER and TRACE_LOG are set.
	local n=0 off=0 start=$SECONDS

	trace_size() { stat -c %s "$TRACE_LOG" 2>/dev/null || echo 0; }
	done_count() { grep -c '^;; done in' "$TRACE_LOG" 2>/dev/null || true; }

	# Traces are written when a query completes, maybe just after the answer went out.
	wait_trace() {
		local want=$1 i
		for i in $(seq 40); do
			[ "$(done_count)" -ge "$want" ] && return 0
			sleep 0.05
		done
		echo ";; (no trace appeared within 2 s)"
	}

	show_new_trace() {
		local size
		size=$(trace_size)
		if [ "$size" -gt "$off" ]; then
			tail -c +$((off + 1)) "$TRACE_LOG"
		fi
		off=$size
	}

	echo "rootwalkd is listening on $RESOLVER; the lab's root servers are 127.1.0.1 and 127.1.0.2."
	# rootwalkd primes the root NS set at start (RFC 8109); show that trace if it wrote one.
	for _ in $(seq 20); do [ "$(done_count)" -ge 1 ] && break; sleep 0.05; done
	if [ "$(trace_size)" -gt 0 ]; then
		echo
		echo "=== At start: priming the root name servers"
		show_new_trace
	fi

	ask() {
		local title=$1
		shift
		n=$((n + 1))
		echo
		echo "=== $n. $title"
		echo "\$ dig @$RESOLVER $*"
		local before
		before=$(done_count)
		dig @"$RESOLVER" "$@" +time=2 +tries=1 +noall +comments +answer +authority |
			grep -v -e '^$' -e '^;; Got answer' -e '^;; OPT PSEUDOSECTION' -e '^; EDNS' || true
		echo "--- trace"
		wait_trace $((before + 1))
		show_new_trace
	}

	ask "A cold query: rootwalkd walks root -> com. -> video-platform.com. (name servers without glue)" \
		www.video-platform.com A
	sleep 2
	ask "The same question 2 s later: answered from the cache, TTLs counted down" \
		www.video-platform.com A
	ask "A name that does not exist: NXDOMAIN, with the zone's SOA" nope.video-platform.com A
	ask "A reverse lookup: 203.0.113.42 -> PTR" -x 203.0.113.42
	# The lab is signed (zones/dnssec.conf; anchor: $LAB_TRUST_ANCHOR). A validating resolver
	# sets ad on the first and answers the second SERVFAIL with EDE 7 (Signature Expired).
	ask "DNSSEC: a signed name (validated: the ad flag)" +dnssec +nocrypto www.secure-nsec.com A
	ask "DNSSEC: a name whose signatures expired (bogus: SERVFAIL, EDE 7)" +dnssec +nocrypto \
		www.sig-expired.com A

	# dig +trace asks rootwalkd for ". NS", then walks itself, looking up each name server it
	# is referred to with the system resolver: in here /etc/resolv.conf names rootwalkd.
	n=$((n + 1))
	echo
	echo "=== $n. dig +trace through rootwalkd" \
		"(/etc/resolv.conf: $(grep -m1 '^nameserver' /etc/resolv.conf))"
	echo "\$ dig +trace @$RESOLVER www.video-platform.com"
	local before
	before=$(done_count)
	timeout 20 dig +trace +nodnssec +time=2 +tries=1 @"$RESOLVER" www.video-platform.com |
		grep -v -e '^; <<>>' -e '^;; global options' -e '^; (1 server found)' | sed '1{/^$/d}' || true
	sleep 0.2
	echo "--- rootwalkd answered $(($(done_count) - before)) questions for it (. NS, then the" \
		"name servers' addresses); their traces are in the log"
	show_new_trace >/dev/null
	echo
	echo "=== Demo done in $((SECONDS - start)) s; stopping the lab."
}

if [ "${1:-}" = "--queries" ]; then
	queries
	exit 0
fi

ROOTWALKD=${ROOTWALKD:-$REPO/build/src/daemon/rootwalkd}
export ROOTWALKD
if [ ! -x "$ROOTWALKD" ]; then
	echo "demo: building rootwalkd in $REPO/build"
	if [ ! -f "$REPO/build/build.ninja" ]; then
		meson setup "$REPO/build" "$REPO" >/dev/null
	fi
	ninja -C "$REPO/build" >/dev/null
fi

start=$(date +%s)
# in_lab.sh refuses to run unless it could make a private network namespace; lab.py checks
# again and stops every process it started, also on error or after --timeout seconds.
rc=0
"$REPO/scripts/in_lab.sh" --resolv-conf 127.0.0.53 \
	timeout -k 5 55 "$PY" "$REPO/scripts/lab.py" run --resolver rootwalkd --trace-format text \
	--timeout 45 -- "$REPO/scripts/demo.sh" --queries ||
	rc=$?
echo "=== Lab stopped; total $(($(date +%s) - start)) s."
exit $rc
