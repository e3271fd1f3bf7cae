"""The terminal's updater against a fake fleet client: verify, install beside, switch, refuse."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.update.installer import lock_hash
from kiosk.update.layout import Layout, refused_versions
from kiosk.update.updater import Updater
from tests.kiosk.update_fixtures import FakeClient, archive, envelope, fake_venv, install_root, pin


def make_updater(layout: Layout, client: FakeClient, idle: list[bool] | None = None) -> tuple[Updater, list[int]]:
    restarts: list[int] = []
    state = idle if idle is not None else [True]
    updater = Updater(
        client,  # type: ignore[arg-type]
        layout,
        layout.data,
        lambda: state[0],
        lambda: restarts.append(1),
        builder=fake_venv,
    )
    return updater, restarts


@pytest.fixture
def key(tmp_path: Path) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def test_a_signed_release_is_installed_beside_and_switched_to(tmp_path: Path, key: Ed25519PrivateKey) -> None:
    layout = install_root(tmp_path)
    pin(layout.data, key)
    data = archive("1.1.0")
    client = FakeClient(envelope(key, "1.1.0", data), data)
    updater, restarts = make_updater(layout, client)
    layout.update_dir.mkdir()
    (layout.update_dir / "1.0.5.tar.gz.part").write_bytes(b"a release no longer offered")

    assert updater.run_once() == "switched, restarting"
    assert os.readlink(layout.current) == "releases/1.1.0"
    assert os.readlink(layout.previous) == "releases/1.0.0"
    assert (layout.current / "main.py").read_text() == "print('1.1.0')\n"
    # Same requirements.lock: the new release shares the running release's venv.
    assert (layout.current / ".venv").resolve() == (layout.venvs / lock_hash(layout.current)).resolve()
    assert len(list(layout.venvs.iterdir())) == 1
    state = json.loads(layout.state_path.read_text())
    assert {k: state[k] for k in ("version", "previous", "deadline_s", "starts")} == {
        "version": "1.1.0",
        "previous": "1.0.0",
        "deadline_s": 600,
        "starts": 0,
    }
    assert oct(layout.state_path.stat().st_mode & 0o777) == "0o600"
    assert [step for _v, step, _r in client.reports] == ["downloading", "verified", "installed", "switched"]
    assert restarts == [1]
    assert not list(layout.update_dir.glob("*.part"))


def test_a_new_lock_gets_a_new_venv_and_old_releases_are_pruned(tmp_path: Path, key: Ed25519PrivateKey) -> None:
    layout = install_root(tmp_path)
    pin(layout.data, key)
    for version, lock in (("1.1.0", b"a==1\n"), ("1.2.0", b"a==2\n")):
        data = archive(version, lock)
        updater, _restarts = make_updater(layout, FakeClient(envelope(key, version, data), data))
        assert updater.run_once() == "switched, restarting"
    assert sorted(p.name for p in layout.releases.iterdir()) == ["1.1.0", "1.2.0"]
    assert os.readlink(layout.previous) == "releases/1.1.0"
    assert (layout.current / ".venv" / "lock").read_bytes() == b"a==2\n"
    # The first release's venv went with it; the two kept releases' venvs stay.
    assert len(list(layout.venvs.iterdir())) == 2


def test_nothing_moves_while_a_resident_is_served(tmp_path: Path, key: Ed25519PrivateKey) -> None:
    layout = install_root(tmp_path)
    pin(layout.data, key)
    data = archive("1.1.0")
    client = FakeClient(envelope(key, "1.1.0", data), data)
    idle = [False]
    updater, restarts = make_updater(layout, client, idle)
    assert updater.run_once() == "waiting for idle"
    assert client.downloads == 0 and os.readlink(layout.current) == "releases/1.0.0"
    idle[0] = True
    assert updater.run_once() == "switched, restarting"
    assert restarts == [1]


def test_a_tampered_artefact_is_refused_reported_and_not_retried(tmp_path: Path, key: Ed25519PrivateKey) -> None:
    layout = install_root(tmp_path)
    pin(layout.data, key)
    good = archive("1.1.0")
    client = FakeClient(envelope(key, "1.1.0", good), good[:-1] + bytes([good[-1] ^ 1]))
    updater, restarts = make_updater(layout, client)
    assert updater.run_once().startswith("refused: bad_sha256")
    assert client.reports[-1][:2] == ("1.1.0", "refused")
    assert os.readlink(layout.current) == "releases/1.0.0" and not layout.previous.exists()
    assert not layout.state_path.exists() and restarts == []
    assert not (layout.releases / "1.1.0").exists() and not list(layout.update_dir.glob("*.part"))
    assert refused_versions(layout) == {"1.1.0"}
    assert updater.run_once() == "refused before"


def test_a_manifest_signed_by_another_key_is_refused_before_downloading(tmp_path: Path, key: Ed25519PrivateKey) -> None:
    layout = install_root(tmp_path)
    pin(layout.data, key)
    data = archive("1.1.0")
    client = FakeClient(envelope(Ed25519PrivateKey.generate(), "1.1.0", data), data)
    updater, restarts = make_updater(layout, client)
    assert updater.run_once().startswith("refused: bad_signature")
    assert client.downloads == 0 and client.reports == [("1.1.0", "refused", "bad_signature: InvalidSignature")]
    assert os.readlink(layout.current) == "releases/1.0.0" and restarts == []
    assert refused_versions(layout) == set()  # a forgery must not block the genuine 1.1.0


@pytest.mark.parametrize(
    "data,reason",
    [
        (archive("1.1.9"), "VERSION in the archive"),
        (archive(None), "VERSION in the archive"),
        (archive("1.1.0", extra={"../escape.txt": b"x"}), "cannot unpack"),
        (b"not a tar archive at all", "cannot unpack"),
    ],
)
def test_bad_archives_are_refused_and_leave_no_trace(
    tmp_path: Path, key: Ed25519PrivateKey, data: bytes, reason: str
) -> None:
    layout = install_root(tmp_path)
    pin(layout.data, key)
    client = FakeClient(envelope(key, "1.1.0", data), data)
    updater, _restarts = make_updater(layout, client)
    assert updater.run_once().startswith("refused: malformed")
    assert reason in client.reports[-1][2]
    assert sorted(p.name for p in layout.releases.iterdir()) == ["1.0.0"]
    assert not (tmp_path / "root" / "escape.txt").exists() and not (layout.root / "escape.txt").exists()


def test_up_to_date_and_nothing_offered(tmp_path: Path, key: Ed25519PrivateKey) -> None:
    layout = install_root(tmp_path)
    pin(layout.data, key)
    data = archive("1.0.0")
    updater, _ = make_updater(layout, FakeClient(envelope(key, "1.0.0", data), data))
    assert updater.run_once() == "up to date"
    updater, _ = make_updater(layout, FakeClient(None, b""))
    assert updater.run_once() == "none offered"


def test_a_development_checkout_never_updates(tmp_path: Path, key: Ed25519PrivateKey) -> None:
    layout = Layout(tmp_path / "no-root", tmp_path / "data")
    data = archive("1.1.0")
    client = FakeClient(envelope(key, "1.1.0", data), data)
    updater, _ = make_updater(layout, client)
    updater.after_beat()
    updater.join()
    assert updater.last_check is None and client.downloads == 0
