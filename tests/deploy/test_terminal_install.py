"""scripts/install-terminal.sh against a scratch root, and the kiosk started the way the unit starts it.

Nothing here touches the machine: --root keeps apt, systemctl and useradd out, systemd-sysusers
and systemd-tmpfiles work inside the scratch root, and the release's venv is this checkout's.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import time
from pathlib import Path

from tests.deploy.terminal_scratch import (
    NotifyListener,
    base_environment,
    head_artefact,
    install,
    launcher_command,
    read_unit,
    unit_environment,
)

KIOSK_ROOT = "opt/renshe-kiosk"
DATA = "var/lib/renshe-kiosk"


def _passwd(root: Path) -> dict[str, list[str]]:
    return {line.split(":")[0]: line.split(":") for line in (root / "etc/passwd").read_text().splitlines()}


def test_scratch_install_is_complete_and_idempotent(tmp_path):
    root = tmp_path / "root"
    before = _host_state()
    check = install(root, "--check")
    assert check.returncode == 1
    assert "missing: /etc/systemd/system/renshe-kiosk.service -> fix:" in check.stdout
    assert "missing: the user renshe-kiosk" in check.stdout

    first = install(root)
    assert first.returncode == 0, first.stdout + first.stderr
    user = _passwd(root)["renshe-kiosk"]
    assert user[6] == "/usr/sbin/nologin" and user[5] == "/var/lib/renshe-kiosk"
    data = root / DATA
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert data.stat().st_uid == int(user[2]) and (root / KIOSK_ROOT).stat().st_uid == int(user[2])
    current = root / KIOSK_ROOT / "current"
    version = (current / "VERSION").read_text().strip()
    assert os.readlink(current) == f"releases/{version}"
    venv_link = os.readlink(current / ".venv")
    assert venv_link.startswith("../../venvs/") and len(venv_link.rsplit("/", 1)[1]) == 16
    assert (current / "kiosk/locale/zh_CN/LC_MESSAGES/kiosk.mo").is_file()
    assert os.access(root / "usr/local/lib/renshe-kiosk/renshe-kiosk-launch", os.X_OK)

    (root / "etc/renshe-kiosk/kiosk.toml").write_text("# the operator's own\n")
    again = install(root)
    assert again.returncode == 0, again.stderr
    assert "wrote" not in again.stdout and "unpacked" not in again.stdout and "current ->" not in again.stdout
    assert (root / "etc/renshe-kiosk/kiosk.toml").read_text() == "# the operator's own\n"
    check = install(root, "--check")
    assert check.returncode == 0, check.stdout
    assert f"complete (release {version})" in check.stdout

    (root / "etc/udev/rules.d/70-renshe-kiosk.rules").unlink()
    (root / KIOSK_ROOT / "current").unlink()
    check = install(root, "--check")
    assert check.returncode == 1
    assert "missing: /etc/udev/rules.d/70-renshe-kiosk.rules" in check.stdout
    assert "missing: a release at /opt/renshe-kiosk/current" in check.stdout
    assert _host_state() == before


def test_install_from_artefact_switches_and_keeps_previous(tmp_path):
    root = tmp_path / "root"
    assert install(root).returncode == 0
    first = os.readlink(root / KIOSK_ROOT / "current")
    artefact = head_artefact(tmp_path, "9.9")
    done = install(root, "--from-artefact", str(artefact))
    assert done.returncode == 0, done.stdout + done.stderr
    assert os.readlink(root / KIOSK_ROOT / "current") == "releases/9.9"
    assert os.readlink(root / KIOSK_ROOT / "previous") == first
    assert (root / KIOSK_ROOT / "releases/9.9/main.py").is_file()
    assert install(root, "--check").returncode == 0
    # a third release: the first goes, current and previous stay, their shared venv too
    done = install(root, "--from-artefact", str(head_artefact(tmp_path, "9.10")))
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"removed {first}" in done.stdout
    releases = sorted(path.name for path in (root / KIOSK_ROOT / "releases").iterdir())
    assert releases == ["9.10", "9.9"]
    assert len(list((root / KIOSK_ROOT / "venvs").iterdir())) == 1
    assert install(root, "--check").returncode == 0


def test_kiosk_started_as_the_unit_starts_it(tmp_path):
    """The unit's ExecStart child (the launcher, cage left out: no display here) with the unit's
    environment moved into the scratch root and a notify socket: the headless demo journey plays,
    and systemd would hear READY=1 and WATCHDOG=1. The release is this checkout's HEAD as an
    artefact: the shared working tree may hold other people's unfinished edits."""
    scratch = tmp_path / "root"
    done = install(scratch, "--from-artefact", str(head_artefact(tmp_path, "0.0-test")))
    assert done.returncode == 0, done.stdout + done.stderr
    unit = read_unit()
    with NotifyListener(tmp_path / "notify") as notify:
        env = {
            **base_environment(),
            **unit_environment(unit, scratch),
            "NOTIFY_SOCKET": str(notify.path),
            "WATCHDOG_USEC": "400000",
        }
        out_dir = tmp_path / "journey"
        started = time.monotonic()
        run = subprocess.run(
            [*launcher_command(unit, scratch), "--demo", "--output", str(out_dir)],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
    print(notify.check(started))
    assert "starting release" in run.stderr
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "journey complete" in run.stdout
    assert json.loads((out_dir / "journey.json").read_text())["ok"]
    data = scratch / DATA
    assert any(data.iterdir()), "the kiosk wrote nothing in DATA"


def _host_state() -> tuple[bool, bool, bool]:
    """What a scratch install must never create on this machine."""
    import pwd

    try:
        pwd.getpwnam("renshe-kiosk")
        user = True
    except KeyError:
        user = False
    return user, Path("/etc/systemd/system/renshe-kiosk.service").exists(), Path("/opt/renshe-kiosk").exists()
