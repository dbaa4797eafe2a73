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
