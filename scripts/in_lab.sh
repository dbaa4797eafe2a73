#!/bin/sh
# in_lab.sh [--resolv-conf ADDRESS] CMD [ARGS...]: run CMD inside a private network namespace
# (unshare -rn) that holds only a loopback interface, so nothing the lab sends can leave this
# machine.
#
# Inside, lo is brought up, 2001:db8::53/128 is added to it for IPv6 tests and 127.255.255.1/32
# for getaddrinfo (see below). When the command exits, the namespace and everything bound in it
# vanish. Refuses to run the command when the namespace cannot be made: the lab must never run
# on the host's network.
#
# --resolv-conf ADDRESS also makes a private mount namespace (unshare -rnm) and bind-mounts a
# resolv.conf holding only "nameserver ADDRESS" over /etc/resolv.conf inside it, so programs
# that use the system resolver (dig +trace looking up the name servers it is told about,
# getaddrinfo) ask the lab resolver, e.g. rootwalkd on 127.0.0.53. The mount is private to the
# namespace: the host's /etc/resolv.conf is never touched.
set -eu

usage() {
	echo "usage: in_lab.sh [--resolv-conf ADDRESS] CMD [ARGS...]" >&2
	exit 2
}

if [ "${ROOTWALK_IN_LAB:-}" = 1 ]; then
	# Second stage, inside the namespace (see below). Check what we got before changing
	# anything: only lo may exist here (a stray ROOTWALK_IN_LAB=1 on the host stops here).
	others=$(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | grep -vx lo | tr '\n' ' ' || true)
	if [ -n "$others" ]; then
		echo "in_lab.sh: not isolated (interfaces: $others); refusing to run" >&2
		exit 1
	fi
	ip link set lo up
	ip -6 addr add 2001:db8::53/128 dev lo 2>/dev/null || true
	# getaddrinfo(AI_ADDRCONFIG), as dig +trace uses it, asks for IPv4 addresses only when an
	# IPv4 address other than 127.0.0.1 is configured; all of 127/8 is local here but only
	# 127.0.0.1 is an address, so without this it would ask for AAAA records alone.
	ip addr add 127.255.255.1/32 dev lo 2>/dev/null || true
	if [ -n "${ROOTWALK_LAB_RESOLV:-}" ]; then
		# Only in a mount namespace of our own: the bind mount must never reach the host.
		if [ "$(readlink /proc/self/ns/mnt)" = "${ROOTWALK_HOST_MNTNS:-}" ] ||
			[ -z "${ROOTWALK_HOST_MNTNS:-}" ]; then
			echo "in_lab.sh: no private mount namespace; refusing to replace" \
				"/etc/resolv.conf" >&2
			exit 1
		fi
		if [ ! -e /etc/resolv.conf ]; then
			echo "in_lab.sh: there is no /etc/resolv.conf to bind-mount over" >&2
			exit 1
		fi
		conf=$(mktemp "${TMPDIR:-/tmp}/rootwalk-resolv.XXXXXX")
		printf 'nameserver %s\noptions timeout:2 attempts:1\n' "$ROOTWALK_LAB_RESOLV" >"$conf"
		chmod 644 "$conf"
		mount --bind "$conf" /etc/resolv.conf
		# The mount keeps the file's contents; the name is not needed any more.
		rm -f "$conf"
	fi
	unset ROOTWALK_IN_LAB ROOTWALK_LAB_RESOLV ROOTWALK_HOST_MNTNS
	exec "$@"
fi

resolv=
if [ "${1:-}" = --resolv-conf ]; then
	[ $# -ge 2 ] || usage
	resolv=$2
	shift 2
	# An IP address only (the file is read by every resolver library inside).
	case "$resolv" in
	*[!0-9a-fA-F:.]* | "")
		echo "in_lab.sh: --resolv-conf wants an IP address, not '$resolv'" >&2
		exit 2
		;;
	esac
fi
[ $# -gt 0 ] || usage

flags=-rn
[ -n "$resolv" ] && flags=-rnm
# Real root (of the initial user namespace): a user namespace where uids 0..65535 are the host's
# own (scripts/userns.py), so that a daemon can drop to another user inside (username:); unshare
# -r would map uid 0 alone. Everyone else: unshare -r.
wrap=
if [ "$(id -u)" = 0 ] && awk '$1 == 0 && $2 == 0 && $3 == 4294967295 { f = 1 } END { exit !f }' \
	/proc/self/uid_map && /usr/bin/python3 "$(dirname "$0")/userns.py" 65536 true 2>/dev/null; then
	wrap="/usr/bin/python3 $(dirname "$0")/userns.py 65536"
	flags=-${flags#-r}
fi
if ! $wrap unshare "$flags" true 2>/dev/null; then
	echo "in_lab.sh: cannot create a private network namespace (unshare $flags failed);" \
		"refusing to run the lab on the host network" >&2
	exit 1
fi

# Re-run this script inside the namespace (second stage above). A stray ROOTWALK_IN_LAB=1 on the
# host does no harm: the second stage still refuses unless lo is the only interface, and
# replaces /etc/resolv.conf only in a mount namespace other than the one this stage runs in.
# (unshare -m makes every mount in the new namespace private, so nothing propagates back.)
exec $wrap unshare "$flags" env ROOTWALK_IN_LAB=1 ROOTWALK_LAB_RESOLV="$resolv" \
	ROOTWALK_HOST_MNTNS="$(readlink /proc/self/ns/mnt)" "$0" "$@"
