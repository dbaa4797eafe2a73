#!/bin/sh
# in_lab.sh CMD [ARGS...]: run CMD inside a private network namespace (unshare -rn) that holds
# only a loopback interface, so nothing the lab sends can leave this machine.
#
# Inside, lo is brought up and 2001:db8::53/128 is added to it for IPv6 tests. When the command
# exits, the namespace and everything bound in it vanish. Refuses to run the command when the
# namespace cannot be made: the lab must never run on the host's network.
set -eu

if [ $# -eq 0 ]; then
	echo "usage: in_lab.sh CMD [ARGS...]" >&2
	exit 2
fi

if [ "${ROOTWALK_IN_LAB:-}" = 1 ]; then
	# Second stage, inside the namespace (see below).
	ip link set lo up
	ip -6 addr add 2001:db8::53/128 dev lo 2>/dev/null || true
	# Check what we got: only lo may exist here.
	others=$(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | grep -vx lo | tr '\n' ' ' || true)
	if [ -n "$others" ]; then
		echo "in_lab.sh: not isolated (interfaces: $others); refusing to run" >&2
		exit 1
	fi
	unset ROOTWALK_IN_LAB
	exec "$@"
fi

if ! unshare -rn true 2>/dev/null; then
	echo "in_lab.sh: cannot create a private network namespace (unshare -rn failed);" \
		"refusing to run the lab on the host network" >&2
	exit 1
fi

# Re-run this script inside the namespace (second stage above). A stray ROOTWALK_IN_LAB=1 on the
# host does no harm: the second stage still refuses unless lo is the only interface.
exec unshare -rn env ROOTWALK_IN_LAB=1 "$0" "$@"
