"""deploy/terminal/renshe-kiosk-launch with two tiny fake releases: one healthy, one that crashes.

Each test runs the launcher as systemd does (a new process per start, RENSHE_KIOSK_ROOT and
KIOSK_DATA_DIR set) and checks the update contract of docs/terminal-install.md: the count of
starts, the roll-back after 3 failed starts or past the deadline, last.json, and the exec of
ROOT/current/.venv/bin/python ROOT/current/main.py with the launcher's own arguments.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LAUNCHER = REPO / "deploy" / "terminal" / "renshe-kiosk-launch"

# A release's main.py: records each start (version, arguments, working directory) in DATA/starts.jsonl.
RECORD = """
import json, os, sys, time
from pathlib import Path
data = Path(os.environ["KIOSK_DATA_DIR"])
here = Path(__file__).parent
with open(data / "starts.jsonl", "a") as out:
    out.write(json.dumps({"version": (here / "VERSION").read_text().strip(), "argv": sys.argv[1:],
                          "cwd": os.getcwd(), "prefix": sys.prefix}) + "\\n")
"""
HEALTHY = (
    RECORD
    + """
state = data / "update" / "state.json"
if state.exists():
    (data / "update" / "last.json").write_text(json.dumps(
        {"version": (here / "VERSION").read_text().strip(), "outcome": "healthy", "at": int(time.time())}))
    state.unlink()
sys.exit(0)
"""
)
CRASHING = RECORD + "\nsys.exit(1)\n"


def make_release(root: Path, version: str, main_py: str) -> None:
    """ROOT/releases/<version> with VERSION, main.py and .venv -> ../../venvs/<hash> (a venv whose
    python is this test's interpreter)."""
    release = root / "releases" / version
    release.mkdir(parents=True)
    (release / "VERSION").write_text(version + "\n")
    (release / "main.py").write_text(main_py)
    venv = root / "venvs" / hashlib.sha256(main_py.encode()).hexdigest()[:16]
    if not venv.exists():
        (venv / "bin").mkdir(parents=True)
        real = Path(sys.executable).resolve()
        (venv / "bin" / "python").symlink_to(real)
        (venv / "pyvenv.cfg").write_text(f"home = {real.parent}\ninclude-system-site-packages = false\n")
    (release / ".venv").symlink_to(os.path.relpath(venv, release))


def setup(tmp_path: Path, current: str, previous: str | None = None) -> tuple[Path, Path]:
    root, data = tmp_path / "opt", tmp_path / "data"
    (data / "update").mkdir(parents=True)
    make_release(root, "1.0", HEALTHY)
    make_release(root, "2.0-bad", CRASHING)
    make_release(root, "2.0-good", HEALTHY)
    (root / "current").symlink_to(f"releases/{current}")
    if previous:
        (root / "previous").symlink_to(f"releases/{previous}")
    return root, data


def switch(root: Path, data: Path, new: str, old: str, *, age_s: float = 0, deadline_s: int = 600) -> None:
    """What the updater does at a switch: state.json, previous, current."""
    state = {
        "version": new,
        "previous": old,
        "switched_at": int(time.time() - age_s),
        "deadline_s": deadline_s,
        "starts": 0,
    }
    (data / "update" / "state.json").write_text(json.dumps(state))
    (root / "previous").unlink(missing_ok=True)
    (root / "previous").symlink_to(f"releases/{old}")
    (root / "current").unlink()
    (root / "current").symlink_to(f"releases/{new}")


def start(root: Path, data: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "RENSHE_KIOSK_ROOT": str(root), "KIOSK_DATA_DIR": str(data)}
    return subprocess.run([str(LAUNCHER), *args], env=env, capture_output=True, text=True, timeout=60)


def starts(data: Path) -> list[dict]:
    path = data / "starts.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def state(data: Path) -> dict | None:
    path = data / "update" / "state.json"
    return json.loads(path.read_text()) if path.exists() else None


def last(data: Path) -> dict | None:
    path = data / "update" / "last.json"
    return json.loads(path.read_text()) if path.exists() else None


def test_launcher_is_standard_library_python(tmp_path):
    text = LAUNCHER.read_text()
    assert text.startswith("#!/usr/bin/python3\n")
    assert os.access(LAUNCHER, os.X_OK)
    imports = {line.split()[1].split(".")[0] for line in text.splitlines() if line.startswith(("import ", "from "))}
    assert imports <= {"__future__", "json", "logging", "os", "sys", "time", "pathlib", "typing"}


def test_no_update_execs_current_with_the_launchers_arguments(tmp_path):
    root, data = setup(tmp_path, "1.0")
    done = start(root, data, "--demo", "--set", "a.b=1")
    assert done.returncode == 0, done.stderr
    [run] = starts(data)
    assert run["version"] == "1.0"
    assert run["argv"] == ["--demo", "--set", "a.b=1"]
    assert Path(run["cwd"]) == (root / "releases" / "1.0").resolve()
    assert Path(run["prefix"]).resolve() == (root / "releases" / "1.0" / ".venv").resolve()  # the release's venv
    assert state(data) is None and last(data) is None


def test_crashing_release_rolled_back_at_the_fourth_start(tmp_path):
    root, data = setup(tmp_path, "1.0")
    switch(root, data, "2.0-bad", "1.0")
    for attempt in (1, 2, 3):  # systemd's Restart=always starts it again after each crash
        done = start(root, data)
        assert done.returncode == 1, done.stderr
        assert state(data)["starts"] == attempt
        assert last(data) is None
    done = start(root, data)
    assert done.returncode == 0, done.stderr
    assert [run["version"] for run in starts(data)] == ["2.0-bad"] * 3 + ["1.0"]
    assert os.readlink(root / "current") == "releases/1.0"
    assert state(data) is None
    report = last(data)
    assert report["version"] == "2.0-bad" and report["outcome"] == "rolled_back"
    assert report["reason"] == "failed to start 3 times"
    assert abs(report["at"] - time.time()) < 30
    assert "rolled back" in done.stderr
    assert not [p for p in root.iterdir() if p.name.startswith(".")], "a temporary symlink was left"


def test_release_past_its_deadline_rolled_back(tmp_path):
    root, data = setup(tmp_path, "1.0")
    switch(root, data, "2.0-bad", "1.0", age_s=120, deadline_s=60)
    done = start(root, data)
    assert done.returncode == 0, done.stderr
    assert [run["version"] for run in starts(data)] == ["1.0"]
    assert last(data)["reason"] == "did not come up healthy within 60 s"
    assert os.readlink(root / "current") == "releases/1.0" and state(data) is None


def test_healthy_release_stays(tmp_path):
    root, data = setup(tmp_path, "1.0")
    switch(root, data, "2.0-good", "1.0")
    assert start(root, data).returncode == 0
    assert state(data) is None
    assert last(data)["outcome"] == "healthy" and last(data)["version"] == "2.0-good"
    assert start(root, data).returncode == 0  # a later start, e.g. after a 75: no roll-back
    assert [run["version"] for run in starts(data)] == ["2.0-good", "2.0-good"]
    assert os.readlink(root / "current") == "releases/2.0-good"
    assert os.readlink(root / "previous") == "releases/1.0"


def test_unreadable_state_rolls_back(tmp_path):
    root, data = setup(tmp_path, "1.0")
    switch(root, data, "2.0-bad", "1.0")
    (data / "update" / "state.json").write_text("{half a file")
    done = start(root, data)
    assert done.returncode == 0, done.stderr
    assert os.readlink(root / "current") == "releases/1.0"
    assert last(data)["outcome"] == "rolled_back" and state(data) is None


def test_no_release_exits_78(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    done = start(tmp_path / "empty", data)
    assert done.returncode == 78
    assert "no usable release" in done.stderr
