"""rootwalkd -n: a valid file passes; every invalid file is refused with FILE:LINE named."""

import subprocess

import pytest

import rwlab


GOOD = """# a valid configuration
server:
    listen: 127.0.0.1@5353
    listen: ::1
    root-hints: %s/zones/root.hints
    do-not-query-localhost: no
    trace-log: off
    trace-format: json
""" % rwlab.REPO

# name -> (text, line that is wrong)
BAD = {
    "unknown-key": ("listen: 127.0.0.1\n# comment\nfrobnicate: yes\n", 3),
    "bad-address": ("listen: 127.0.0.1\nlisten: 300.1.2.3\n", 2),
    "bad-ipv6": ("listen: 2001:db8::zz\n", 1),
    "bad-port": ("\n\nlisten: 127.0.0.1@70000\n", 3),
    "bad-bool": ("do-not-query-localhost: maybe\n", 1),
    "bad-trace-format": ("trace-log: stderr\ntrace-format: xml\n", 2),
    "bad-number": ("server:\n    upstream-timeout: soon\n", 2),
    "no-colon": ("server:\n    listen 127.0.0.1\n", 2),
    "missing-value": ("server:\n    root-hints:\n", 2),
    "outgoing-with-port": ("outgoing-interface: 127.0.0.1@53\n", 1),
}


def run_check(binary, path):
    return subprocess.run([binary, "-n", "-c", str(path)], capture_output=True, text=True,
                          timeout=10, stdin=subprocess.DEVNULL)


def test_good_config_passes(rootwalkd_binary, tmp_path):
    path = tmp_path / "good.conf"
    path.write_text(GOOD)
    r = run_check(rootwalkd_binary, path)
    assert r.returncode == 0, "valid config refused (%d): %s%s" % (r.returncode, r.stdout, r.stderr)


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_config_refused(rootwalkd_binary, tmp_path, name):
    text, line = BAD[name]
    path = tmp_path / (name + ".conf")
    path.write_text(text)
    r = run_check(rootwalkd_binary, path)
    out = r.stdout + r.stderr
    assert r.returncode != 0, "%s: accepted by -n: %r" % (name, out)
    assert "%s:%d" % (path, line) in out, "%s: message does not name %s:%d: %r" % (
        name, path, line, out)


def test_every_error_of_a_file_one_a_line(rootwalkd_binary, tmp_path):
    """-n reports every error of the file in one pass, one a line with its FILE:LINE, and
    suggests the key meant (Unbound's names included)."""
    path = tmp_path / "many.conf"
    path.write_text("interface: 127.0.0.1\ncache-size: 10x\n# ok\nlisten: 127.0.0.1\n"
                    "forward-zone:\n    name: example.\n    forward-adr: 192.0.2.1\n")
    r = run_check(rootwalkd_binary, path)
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert [l.split(":")[1] for l in lines] == ["1", "2", "7"], lines
    assert all(l.startswith("%s:" % path) for l in lines), lines
    assert "did you mean 'listen'" in lines[0], lines
    assert "did you mean 'forward-addr'" in lines[2], lines


def test_missing_file_refused(rootwalkd_binary, tmp_path):
    path = tmp_path / "nonexistent.conf"
    r = run_check(rootwalkd_binary, path)
    assert r.returncode != 0
    assert str(path) in r.stdout + r.stderr


def test_daemon_refuses_bad_config_at_start(rootwalkd_binary, tmp_path):
    """Without -n, an invalid file stops the daemon before it serves anything."""
    path = tmp_path / "bad.conf"
    path.write_text("listen: 127.0.0.70\nno-such-key: 1\n")
    r = subprocess.run([rootwalkd_binary, "-c", str(path)], capture_output=True, text=True,
                       timeout=10, stdin=subprocess.DEVNULL)
    assert r.returncode != 0
    assert "%s:2" % path in r.stdout + r.stderr


def run_cli(*args):
    from rwlab import control
    return subprocess.run([control.cli_path()] + list(args), capture_output=True, text=True,
                          timeout=control.CLI_TIMEOUT, stdin=subprocess.DEVNULL)


MANY = ("server:\n  verbosty: 2\n  cache-size: 100MB\n  log-servfail: maybe\n"
        "  listen: 127.0.0.1\n  hide_identity: yes\n")
MANY_LINES = [(2, "unknown key 'verbosty' (did you mean 'verbosity'?)"),
              (4, "log-servfail: expected 'yes' or 'no', got 'maybe'"),
              (6, "unknown key 'hide_identity' (did you mean 'hide-identity'?)")]


def test_check_conf_and_n_print_every_error(rootwalkd_binary, tmp_path):
    """`rootwalkd -n` and `rootwalk check-conf` print the same errors, every one, one a line,
    with its line and a suggestion; 100MB is a size."""
    path = tmp_path / "many.conf"
    path.write_text(MANY)
    want = ["%s:%d: %s" % (path, n, msg) for n, msg in MANY_LINES]
    r = run_check(rootwalkd_binary, path)
    assert r.returncode == 1 and r.stderr.splitlines() == want, r.stderr
    c = run_cli("check-conf", str(path))
    assert c.returncode == 1 and c.stderr.splitlines() == want, c.stderr


def test_unbound_size_suffixes(rootwalkd_binary, tmp_path):
    for size in ("100MB", "100mb", "512kb", "512K", "1g", "1GB", "65536b"):
        path = tmp_path / "size.conf"
        path.write_text("cache-size: %s\n" % size)
        r = run_check(rootwalkd_binary, path)
        assert r.returncode == 0, (size, r.stderr)
    path.write_text("cache-size: 100MiB\n")
    r = run_check(rootwalkd_binary, path)
    assert r.returncode == 1 and "%s:1: cache-size: '100MiB' is not a size" % path in r.stderr


def chaos_identity(addr):
    import dns.message
    import dns.query
    q = dns.message.make_query("id.server.", "TXT", "CH")
    m = dns.query.udp(q, addr, timeout=3)
    return [b"".join(rr.strings).decode() for rrset in m.answer for rr in rrset]


def test_reload_with_a_broken_config(start_ctl):
    """After a bad edit, `rootwalk -c FILE reload` still finds the socket (from the
    control-socket line alone), prints the daemon's refusal with every error and its line, and
    exits 1; the daemon keeps the running configuration. Once the file is fixed, reload
    succeeds."""
    c = start_ctl(extra="identity: old\n")
    assert chaos_identity(c.r.addr) == ["old"]
    with open(c.r.conf) as f:
        good = f.read()
    n = good.count("\n")
    broken = good.replace("identity: old", "identity: new") + "verbosty: 2\nlisten 127.0.0.1\n"
    with open(c.r.conf, "w") as f:
        f.write(broken)
    p = run_cli("-c", c.r.conf, "reload")
    assert p.returncode == 1 and p.stdout == "", p
    assert ("%s:%d: unknown key 'verbosty' (did you mean 'verbosity'?)" % (c.r.conf, n + 1)
            in p.stderr), p.stderr
    assert "%s:%d: expected 'key: value'" % (c.r.conf, n + 2) in p.stderr, p.stderr
    assert "the running configuration is kept" in p.stderr
    assert chaos_identity(c.r.addr) == ["old"]
    with open(c.r.conf, "w") as f:
        f.write(good.replace("identity: old", "identity: new"))
    p = run_cli("-c", c.r.conf, "reload")
    assert p.returncode == 0 and p.stdout.startswith("reloaded %s" % c.r.conf), p
    assert chaos_identity(c.r.addr) == ["new"]
