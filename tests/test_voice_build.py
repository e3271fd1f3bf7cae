"""scripts/voice.py build: real WAV files from Debian's espeak-ng for every prompt and language,
spoken from the catalogue's text, and nothing rendered again when nothing changed."""

from __future__ import annotations

import json
import math
import struct
import subprocess
import sys
import wave
from pathlib import Path

from kiosk.i18n import LANGUAGES
from kiosk.voice import ESPEAK_VOICES, clip_path, clips

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))

from voice import digest, espeak_version  # noqa: E402


def run_build(root: Path) -> str:
    done = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "voice.py"), "build", "--root", str(root)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr  # espeak-ng missing fails here, loudly
    return done.stdout


def duration_and_rms(path: Path) -> tuple[float, float]:
    """Seconds and root-mean-square level (0..1) of a 16-bit mono WAV."""
    with wave.open(str(path), "rb") as wav:
        assert (wav.getsampwidth(), wav.getnchannels()) == (2, 1), path.name
        frames = wav.readframes(wav.getnframes())
        seconds = wav.getnframes() / wav.getframerate()
    samples = struct.unpack(f"<{len(frames) // 2}h", frames)
    rms = math.sqrt(sum(sample * sample for sample in samples) / max(len(samples), 1)) / 32768
    return seconds, rms


def test_build_renders_every_prompt_in_every_language_and_a_second_run_does_nothing(tmp_path):
    first = run_build(tmp_path)
    expected = len(clips()) * len(LANGUAGES)
    assert f"{expected} prompts rendered" in first, first
    version = espeak_version()
    for language in LANGUAGES:
        manifest = json.loads((tmp_path / language / "voice" / "manifest.json").read_text(encoding="utf-8"))
        for clip in clips():
            path = clip_path(language, clip, tmp_path)
            seconds, rms = duration_and_rms(path)
            assert seconds > 0.3, f"{language}/{path.name}: {seconds:.2f} s"
            assert rms > 0.01, f"{language}/{path.name}: silent (RMS {rms:.4f})"
            # rendered from the very words the screen shows, with the language's voice
            assert manifest[clip.name] == digest(clip.text(language), ESPEAK_VOICES[language], version)

    second = run_build(tmp_path)
    assert f"0 prompts rendered, {expected} up to date" in second, second

    # a changed text (here: a stale digest) or a lost file is rendered again, and only that one
    manifest_path = tmp_path / "en" / "voice" / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["pin.prompt"] = "stale"
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    clip_path("zh_CN", clips()[0], tmp_path).unlink()
    (tmp_path / "zh_TW" / "voice" / "retired.key.wav").write_bytes(b"")
    third = run_build(tmp_path)
    assert "2 prompts rendered" in third and "1 removed" in third, third


def test_chinese_voices_speak_chinese_not_spelled_pinyin():
    """Debian 12's espeak-ng "cmn" voice reads the pinyin of 汉字 with English sounds; the voice used
    for 简体 must give Mandarin phonemes (tones) for both scripts, and Cantonese ones for 繁體."""
    for voice, text in (
        (ESPEAK_VOICES["zh_CN"], "请取走您的社保卡"),
        (ESPEAK_VOICES["zh_CN"], "請取走您的社保卡"),
        (ESPEAK_VOICES["zh_TW"], "請取走您的社保卡"),
    ):
        done = subprocess.run(
            ["espeak-ng", "-q", "-x", "-v", voice], input=text, capture_output=True, text=True, check=True
        )
        assert "(en)" not in done.stdout, (voice, done.stdout)
        assert len(done.stdout.split("_|")) >= len(text), (voice, done.stdout)
