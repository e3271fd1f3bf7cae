"""Render the kiosk's voice prompts to WAV files with espeak-ng (run by scripts/setup.sh).

Every clip of ``kiosk.voice.clips()`` in every kiosk language is spoken from ``tr(key, lang)`` (the
screen's own words, from the compiled catalogues) with that language's espeak-ng voice into
``kiosk/locale/<lang>/voice/<clip>.wav`` (build output, not in git, like the .mo files). Each
folder's ``manifest.json`` keeps, per clip, a digest of the text, voice, speed and espeak-ng
version it was rendered with: a clip is rendered again only when one of them changed or its file
is gone, so a second run renders nothing. WAVs of clips no longer listed are removed.

Usage: .venv/bin/python scripts/voice.py build [--root DIR]
Exit codes: 0 done; 2 espeak-ng is missing or failed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kiosk.i18n import LANGUAGES  # noqa: E402
from kiosk.voice import ESPEAK_VOICES, VOICE_ROOT, Clip, clip_path, clips  # noqa: E402

logger = logging.getLogger("scripts.voice")

# Words per minute: espeak-ng's default is 175; slower is easier to follow for elderly residents.
SPEED = 140
MANIFEST = "manifest.json"


class VoiceBuildError(Exception):
    """espeak-ng is missing or did not render a clip."""


def espeak_version() -> str:
    """espeak-ng's version line (part of every clip's digest, so an upgrade renders them again)."""
    if shutil.which("espeak-ng") is None:
        raise VoiceBuildError("espeak-ng is not installed: run scripts/setup.sh (Debian package espeak-ng)")
    done = subprocess.run(["espeak-ng", "--version"], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise VoiceBuildError(f"espeak-ng --version failed: {done.stderr.strip()}")
    return done.stdout.split("Data at:")[0].strip()


def digest(text: str, voice: str, version: str) -> str:
    return hashlib.sha256(f"{version}\n{voice}\n{SPEED}\n{text}".encode()).hexdigest()


def render(text: str, voice: str, target: Path) -> None:
    """Speak ``text`` with ``voice`` into ``target`` (written whole, then renamed into place)."""
    partial = target.with_suffix(".wav.part")
    done = subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(SPEED), "-b", "1", "-w", str(partial)],
        input=text.encode("utf-8"),
        capture_output=True,
        check=False,
    )
    if done.returncode != 0 or not partial.is_file():
        partial.unlink(missing_ok=True)
        raise VoiceBuildError(f"espeak-ng failed on {target.name}: {done.stderr.decode(errors='replace').strip()}")
    partial.replace(target)


def build(root: Path = VOICE_ROOT) -> dict[str, int]:
    """Render what is missing or out of date; returns {"rendered": n, "kept": n, "removed": n}."""
    version = espeak_version()
    counts = {"rendered": 0, "kept": 0, "removed": 0}
    wanted = clips()
    jobs: list[tuple[str, Clip, str, Path]] = []
    manifests: dict[str, dict[str, str]] = {}
    for language in LANGUAGES:
        voice = ESPEAK_VOICES[language]
        folder = root / language / "voice"
        folder.mkdir(parents=True, exist_ok=True)
        manifest_path = folder / MANIFEST
        try:
            old = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            old = {}
        fresh: dict[str, str] = {}
        for clip in wanted:
            text = clip.text(language)
            key = digest(text, voice, version)
            fresh[clip.name] = key
            target = clip_path(language, clip, root)
            if old.get(clip.name) == key and target.is_file():
                counts["kept"] += 1
            else:
                jobs.append((language, clip, text, target))
        names = {clip_path(language, clip, root).name for clip in wanted}
        for stale in folder.glob("*.wav"):
            if stale.name not in names:
                stale.unlink()
                counts["removed"] += 1
        manifests[language] = fresh
    with ThreadPoolExecutor(max_workers=2) as pool:  # the machine's two cores
        list(pool.map(lambda job: render(job[2], ESPEAK_VOICES[job[0]], job[3]), jobs))
    counts["rendered"] = len(jobs)
    for language, fresh in manifests.items():
        path = root / language / "voice" / MANIFEST
        path.write_text(json.dumps(fresh, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["build"])
    parser.add_argument("--root", type=Path, default=VOICE_ROOT, help="folder holding <lang>/voice/ (tests)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    started = time.monotonic()
    try:
        counts = build(args.root)
    except VoiceBuildError as exc:
        print(f"voice: {exc}", file=sys.stderr)
        return 2
    print(
        f"voice: {counts['rendered']} prompts rendered, {counts['kept']} up to date, "
        f"{counts['removed']} removed ({time.monotonic() - started:.1f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
