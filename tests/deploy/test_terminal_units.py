"""The terminal's systemd, udev, PAM and logrotate files (deploy/terminal/): verified by the tools
that read them, and checked for what issue 17 asks of the kiosk's unit."""

from __future__ import annotations

import getpass
import grp
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.deploy.terminal_scratch import DEPLOY, exec_start, install, read_unit, unit_environment, unit_value

LAUNCHER = "/usr/local/lib/renshe-kiosk/renshe-kiosk-launch"


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    """A scratch root with the terminal installed, Debian's units and the binaries the units start."""
    root = tmp_path_factory.mktemp("terminal") / "root"
    done = install(root)
    assert done.returncode == 0, done.stdout + done.stderr
    shutil.copytree("/lib/systemd/system", root / "usr/lib/systemd/system", symlinks=True)
    for binary in ("/usr/bin/cage", "/usr/sbin/pcscd"):
        if not Path(binary).exists():
            pytest.fail(f"{binary} is not installed: run scripts/setup.sh (Debian packages cage, pcscd)")
        (root / binary.lstrip("/")).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(binary, root / binary.lstrip("/"))
    return root


def _verify(root: Path, unit: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["systemd-analyze", "verify", "--man=no", f"--root={root}", unit], capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize("unit", ["renshe-kiosk.service", "pcscd.service"])
def test_units_verify_clean(scratch, unit):
    """systemd-analyze verify: no error and no warning (unknown keys, bad values, missing binaries)."""
    done = _verify(scratch, str(scratch / "etc/systemd/system" / unit) if unit.startswith("renshe") else unit)
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr


def test_verify_catches_a_broken_unit(scratch, tmp_path):
    """The check above would see a mistake: an unknown key and a missing executable."""
    broken = scratch / "etc/systemd/system/renshe-broken.service"
    text = (DEPLOY / "renshe-kiosk.service").read_text().replace("Restart=always", "Restart=always\nRestartt=no")
    broken.write_text(text.replace("/usr/bin/cage", "/usr/bin/no-such-compositor"))
    try:
        done = _verify(scratch, str(broken))
    finally:
        broken.unlink()
    assert "Restartt" in done.stderr and "no-such-compositor" in done.stderr


def test_pcscd_drop_in_applies(scratch):
    """The drop-in is where systemd looks for pcscd.service's, and verify reads it with the unit
    (systemctl cat cannot take --root): an unknown key in it would show."""
    drop_in = scratch / "etc/systemd/system/pcscd.service.d/renshe-kiosk.conf"
    assert "Restart=on-failure" in drop_in.read_text()
    original = drop_in.read_text()
    drop_in.write_text(original + "Bogus=1\n")
    try:
        done = _verify(scratch, "pcscd.service")
    finally:
        drop_in.write_text(original)
    assert "Bogus" in done.stderr


def test_kiosk_unit_enforces_the_issue():
    unit = read_unit()
    value = lambda key: unit_value(unit, key)  # noqa: E731
    assert value("Service.User") == "renshe-kiosk" and value("Service.Group") == "renshe-kiosk"
    assert value("Service.Restart") == "always"
    assert "75" in value("Service.SuccessExitStatus").split()
    assert value("Unit.StartLimitIntervalSec") == "0"
    # Watchdog: the kiosk (cage's child, not the main process) sends READY=1 and WATCHDOG=1
    assert value("Service.Type") == "notify" and value("Service.NotifyAccess") == "all"
    assert 10 <= int(value("Service.WatchdogSec")) <= 120
    # The kiosk session: cage, no desktop, on tty1 with a logind session
    words = exec_start(unit)
    assert words[0] == "/usr/bin/cage" and words[words.index("--") + 1] == LAUNCHER
    assert value("Service.TTYPath") == "/dev/tty1" and value("Service.PAMName") == "renshe-kiosk"
    assert "getty@tty1.service" in value("Unit.Conflicts")
    assert value("Install.WantedBy") == "multi-user.target"
    # Hardening that still lets it write ROOT, DATA and its logs
    assert value("Service.NoNewPrivileges") == "yes"
    assert value("Service.ProtectSystem") in ("full", "strict")
    assert value("Service.ProtectHome") == "yes" and value("Service.PrivateTmp") == "yes"
    writable = value("Service.ReadWritePaths").split()
    env = unit_environment(unit, Path("/"))
    assert env["RENSHE_KIOSK_ROOT"] in writable and env["KIOSK_DATA_DIR"] in writable
    assert env["RENSHE_KIOSK_ROOT"] == "/opt/renshe-kiosk" and env["KIOSK_DATA_DIR"] == "/var/lib/renshe-kiosk"
    launcher = (DEPLOY / "renshe-kiosk-launch").read_text()
    assert 'DEFAULT_ROOT = "/opt/renshe-kiosk"' in launcher and 'DEFAULT_DATA = "/var/lib/renshe-kiosk"' in launcher


def test_pam_service_opens_a_logind_session():
    lines = [
        line.split() for line in (DEPLOY / "pam.conf").read_text().splitlines() if line and not line.startswith("#")
    ]
    assert ["session", "required", "pam_systemd.so"] in lines
    for line in lines:
        assert Path("/lib/x86_64-linux-gnu/security", line[2]).exists() or Path("/lib/security", line[2]).exists(), line


UDEV_TOKEN = re.compile(r'\s*([A-Z_]+(?:\{[^}]+\})?)\s*(==|!=|\+=|-=|:=|=)\s*"([^"]*)"\s*(?:,|$)')
UDEV_MATCH_KEYS = {"ACTION", "SUBSYSTEM", "KERNEL", "TEST", "ENV", "ATTR", "ATTRS"}
UDEV_ASSIGN_KEYS = {"GROUP", "MODE", "ENV", "ATTR", "TAG", "RUN"}


def test_udev_rules_parse():
    """Each rule is a list of KEY op "value"; match keys compare, assignments assign (udevadm verify
    comes with systemd 253, Debian 12 has 252)."""
    rules = [
        line
        for line in (DEPLOY / "70-renshe-kiosk.rules").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert len(rules) == 3
    for rule in rules:
        tokens = UDEV_TOKEN.findall(rule)
        assert ", ".join(f'{key}{op}"{value}"' for key, op, value in tokens) == rule, f'not KEY op "value", ...: {rule}'
        assigned = False
        for key, op, _ in tokens:
            name = key.split("{")[0]
            if op in ("==", "!="):
                assert name in UDEV_MATCH_KEYS and not assigned, rule
            else:
                assert name in UDEV_ASSIGN_KEYS, rule
                assigned = True
        assert assigned, rule
    printers = rules[0]
    assert 'ENV{ID_USB_INTERFACES}=="*:0701??:*"' in printers and 'GROUP="renshe-kiosk"' in printers
    assert 'MODE="0660"' in printers


def test_logrotate_config_rotates(tmp_path):
    """logrotate reads the file and rotates a log past its size: the paths and user moved to tmp_path."""
    if shutil.which("logrotate") is None:
        pytest.fail("logrotate is not installed: run scripts/setup.sh (Debian package logrotate)")
    user, group = getpass.getuser(), grp.getgrgid(os.getgid()).gr_name
    text = (DEPLOY / "logrotate.conf").read_text()
    assert "/var/log/renshe-kiosk/*.log {" in text and "su renshe-kiosk renshe-kiosk" in text
    text = text.replace("/var/log/renshe-kiosk", str(tmp_path / "log")).replace(
        "su renshe-kiosk renshe-kiosk", f"su {user} {group}"
    )
    text = text.replace("maxsize 20M", "maxsize 1k")
    conf = tmp_path / "renshe-kiosk"
    conf.write_text(text)
    (tmp_path / "log").mkdir()
    (tmp_path / "log" / "kiosk.log").write_text("x" * 4096)
    done = subprocess.run(
        ["logrotate", "--verbose", "--state", str(tmp_path / "state"), str(conf)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "log" / "kiosk.log.1").read_text() == "x" * 4096
    assert (tmp_path / "log" / "kiosk.log").read_text() == ""  # copytruncate: the writer keeps its file


def test_tmpfiles_and_sysusers_in_the_scratch_root(scratch):
    """The same files make the user and the directories on a terminal and in a scratch root."""
    passwd = (scratch / "etc/passwd").read_text()
    assert re.search(r"^renshe-kiosk:x:\d+:\d+:Renshe kiosk:/var/lib/renshe-kiosk:/usr/sbin/nologin$", passwd, re.M)
    groups = {line.split(":")[0]: line.split(":")[3] for line in (scratch / "etc/group").read_text().splitlines()}
    for group in ("lp", "dialout", "video"):
        assert "renshe-kiosk" in groups[group].split(",")
    for path, mode in (
        ("var/lib/renshe-kiosk", 0o700),
        ("var/lib/renshe-kiosk/update", 0o700),
        ("opt/renshe-kiosk", 0o755),
    ):
        assert (scratch / path).stat().st_mode & 0o777 == mode, path


def test_cage_runs_its_child_headless():
    """Debian's cage, as the unit starts it, on wlroots' headless backend: the child gets a Wayland
    and an XWayland display. cage refuses to run as root, so it runs as nobody here (CI is root)."""
    if os.getuid() != 0:
        pytest.fail("this test runs cage as nobody through setpriv and needs root")
    # pytest's tmp_path lies under a 0700 directory of root's: nobody needs a folder it can reach
    with tempfile.TemporaryDirectory(prefix="renshe-cage-") as folder:
        _run_cage(Path(folder))


def _run_cage(folder: Path) -> None:
    folder.chmod(0o755)
    runtime = folder / "run"
    runtime.mkdir(mode=0o700)
    os.chown(runtime, 65534, 65534)
    report = folder / "child"
    report.touch()
    os.chown(report, 65534, 65534)
    env = {
        "PATH": "/usr/bin:/bin",
        "XDG_RUNTIME_DIR": str(runtime),
        "WLR_BACKENDS": "headless",
        "WLR_LIBINPUT_NO_DEVICES": "1",
        "WLR_RENDERER": "pixman",
    }
    child = f'echo "$WAYLAND_DISPLAY $DISPLAY" > {report}; exit 75'
    words = exec_start(read_unit())
    cage = words[: words.index("--") + 1]
    done = subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *cage, "/bin/sh", "-c", child],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=folder,
    )
    wayland, display = (report.read_text().split() + ["", ""])[:2]
    # cage 0.1.4 exits 0 whatever its child's status: Restart=always, not the 75, restarts the kiosk
    print(f"cage exit status {done.returncode} for a child that exited 75")
    assert wayland.startswith("wayland-") and display.startswith(":"), done.stderr


def test_kiosk_unit_exposure():
    """systemd's own hardening score of the unit stays at 4.0 or below ("OK"; 3.4 when written)."""
    done = subprocess.run(
        ["systemd-analyze", "security", "--offline=yes", "--threshold=40", str(DEPLOY / "renshe-kiosk.service")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout[-2000:]
    assert "Overall exposure level for renshe-kiosk.service" in done.stdout
