#!/bin/bash
# setup.sh demo|test: install what is missing (Debian 12, apt), build, and run.
#   demo  build rootwalkd in build/ and run the lab demo (scripts/demo.sh)
#   test  run every test suite under ASan + UBSan, then under TSan (tests/run_all.sh; builds
#         build-asan/ and build-tsan/)
# Needs root or sudo only when packages are missing.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO"

mode=${1:-}
case "$mode" in
demo | test) ;;
*)
	echo "usage: $0 demo|test" >&2
	exit 2
	;;
esac

# Build and lab tools (ldnsutils: ldns-keygen and ldns-signzone, which sign the lab's zones at
# every lab start; bind9-dnsutils: dig and delv); the test suite adds Unbound (the reference resolver), pytest,
# clang-format, dns-root-data (the root's DS, which the built-in trust anchor must equal), dnsdist
# (the load balancer of test_dnsdist.py; the lab runs its own inside a namespace, never the service),
# prometheus (promtool checks the /metrics text; a real server in the lab scrapes it) and
# dnstap-ldns (reads back what dnstap wrote). dnstap (src/daemon/dnstap.c) needs libfstrm,
# protobuf-c and protoc-c. The ThreadSanitizer build of the test suite links gcc's libtsan2
# (gcc pulls it in today; named so that it stays so).
# knot: Knot DNS serves the lab zone NSD refuses to load (a CNAME at the apex, issue 15); the
# lab runs its own knotd inside the namespace (the packaged service's default configuration
# listens nowhere).
# util-linux (unshare) and python3 are part of every Debian system.
pkgs=(gcc libc6-dev pkg-config meson ninja-build libuv1-dev libldns-dev libsodium-dev libssl-dev scdoc
	libfstrm-dev libprotobuf-c-dev protobuf-c-compiler
	nsd knot ldnsutils bind9-dnsutils iproute2 python3 python3-dnspython)
if [ "$mode" = test ]; then
	pkgs+=(unbound python3-pytest clang-format dnsperf dns-root-data dnsdist prometheus dnstap-ldns
		libtsan2)
fi

missing=()
for p in "${pkgs[@]}"; do
	if ! dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii'; then
		missing+=("$p")
	fi
done
if [ ${#missing[@]} -gt 0 ]; then
	sudo=()
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null || {
			echo "setup: need root or sudo to install: ${missing[*]}" >&2
			exit 1
		}
		sudo=(sudo)
	fi
	echo "setup: installing ${missing[*]}"
	"${sudo[@]}" apt-get update
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		"${missing[@]}"
fi

if [ "$mode" = demo ]; then
	if [ ! -f build/build.ninja ]; then
		meson setup build
	fi
	ninja -C build
	exec ./scripts/demo.sh
fi
exec ./tests/run_all.sh
