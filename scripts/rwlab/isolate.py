"""The namespace guard: nothing in the lab runs outside a private network namespace."""

import ipaddress
import os
import subprocess
import tempfile

from rwlab import LabError

RUN_UNDER = "run under scripts/in_lab.sh"


def net_interfaces():
    """Names of the network interfaces of this process's network namespace.

    /proc/net/dev follows the caller's namespace; /sys/class/net does not (it shows the namespace
    that mounted sysfs, i.e. the host's, even inside unshare -rn), so it must not be used here.
    """
    with open("/proc/net/dev") as f:
        return [line.split(":", 1)[0].strip() for line in f.readlines()[2:] if ":" in line]


def ensure_isolated(how=RUN_UNDER):
    """Refuse to run unless this is a private network namespace holding only lo, then bring lo
    up. how: what the error tells the user to do instead.

    The lab binds many 127.x addresses on port 53 and sends DNS traffic among them; inside a
    namespace made by unshare -rn nothing can leak, and there is no other interface to leak to.
    """
    links = net_interfaces()
    others = [l for l in links if l != "lo"]
    if others or not links:
        raise LabError("not in a private network namespace (interfaces: %s); %s"
                       % (" ".join(sorted(links)), how))
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True, timeout=10)


def with_resolv_conf(addr, cmd, tmpdir):
    """argv that runs cmd with /etc/resolv.conf saying only "nameserver addr", for programs that
    use the system resolver (dig +trace looks up the name servers it is told about that way).

    The file is bind-mounted in a new mount namespace (unshare -m, whose mounts are private) made
    for cmd alone, inside the lab's network namespace: the host's file is never touched, and the
    rest of the lab keeps seeing the usual one. scripts/in_lab.sh --resolv-conf does the same
    for a whole session."""
    ensure_isolated()
    ipaddress.ip_address(addr)  # an address, nothing else, goes into the file
    # getaddrinfo(AI_ADDRCONFIG) asks for A records only if an IPv4 address other than
    # 127.0.0.1 is configured (scripts/in_lab.sh adds this one too; "replace" is idempotent).
    subprocess.run(["ip", "addr", "replace", "127.255.255.1/32", "dev", "lo"], check=True,
                   timeout=10)
    fd, conf = tempfile.mkstemp(prefix="resolv-", suffix=".conf", dir=tmpdir)
    with os.fdopen(fd, "w") as f:
        f.write("nameserver %s\noptions timeout:2 attempts:1\n" % addr)
    os.chmod(conf, 0o644)
    script = 'mount --bind "$1" /etc/resolv.conf && shift && exec "$@"'
    return ["unshare", "-m", "sh", "-c", script, "sh", conf] + list(cmd)
