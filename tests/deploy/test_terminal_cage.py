"""The kiosk under the real compositor: the unit's whole ExecStart (cage, then the launcher) on
wlroots' headless backend, from a scratch install, with a notify socket.

cage refuses to run as root, and CI runs as root with a venv under /root that no other user can
read. So cage runs in a user namespace as uid 1000 mapped onto root (unshare --map-user): cage sees
an ordinary user, the files stay readable, and the scratch ROOT and DATA are given to root for the
run. Kivy's SDL draws through cage's XWayland with Mesa's llvmpipe.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time

import pytest

from tests.deploy.terminal_scratch import (
    NotifyListener,
    base_environment,
    exec_start,
    head_artefact,
    install,
    read_unit,
    unit_environment,
)


def test_kiosk_under_cage_headless(tmp_path):
    if os.getuid() != 0:
        pytest.fail("this test maps the kiosk onto root in a user namespace and needs root")
    for tool in ("cage", "Xwayland", "unshare"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is not installed: run scripts/setup.sh (Debian packages cage, xwayland)")
    scratch = tmp_path / "root"
    done = install(scratch, "--from-artefact", str(head_artefact(tmp_path, "0.0-cage")))
    assert done.returncode == 0, done.stdout + done.stderr
    for top in ("opt/renshe-kiosk", "var/lib/renshe-kiosk"):
        subprocess.run(["chown", "-hR", "0:0", str(scratch / top)], check=True)
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    unit = read_unit()
    words = exec_start(unit)
    split = words.index("--") + 1
    command = [*words[:split], str(scratch / words[split].lstrip("/")), *words[split + 1 :]]
    out_dir = tmp_path / "journey"
    with NotifyListener(tmp_path / "notify") as notify:
        env = {
            **base_environment(),
            **unit_environment(unit, scratch),
            "NOTIFY_SOCKET": str(notify.path),
            "WATCHDOG_USEC": "400000",
            "XDG_RUNTIME_DIR": str(runtime),
            "WLR_BACKENDS": "headless",
            "WLR_LIBINPUT_NO_DEVICES": "1",
            "WLR_RENDERER": "pixman",
        }
        started = time.monotonic()
        run = subprocess.run(
            [
                "unshare",
                "--user",
                "--map-user=1000",
                "--map-group=1000",
                *command,
                "--demo",
                "--script",
                "journey",
                "--output",
                str(out_dir),
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            cwd=tmp_path,
        )
    print(notify.check(started))
    log = run.stdout[-3000:] + run.stderr[-3000:]
    assert "GL: Backend used <sdl2>" in run.stderr, log
    assert (out_dir / "01-attract.png").is_file(), log
    # cage exits 0 whatever the kiosk's status: the story's own report says how it went
    report = json.loads((out_dir / "journey.json").read_text())
    assert report["ok"], report["summary"]
