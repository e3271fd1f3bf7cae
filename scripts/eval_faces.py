"""Evaluate face detection, 1:1 verification and liveness; print a plain-text report.

Usage: .venv/bin/python scripts/eval_faces.py [FACES_DIR] [--threshold T]
FACES_DIR defaults to tests/data/faces in the repository (test data, downscaled copies of public
images: see its SOURCE.md; the project never ships or needs it at run time).

1. Detection: our dlib HOG detector vs OpenCV's bundled Haar cascade on every image.
2. Verification: every same/different pair from pairs.csv plus every pair formed from
   identities.csv; FAR/FRR at the threshold, the score ranges, and a threshold sweep.
3. Liveness on generated frame sequences (scikit-image portraits rendered by drivers.camera.synth
   and measured by the real detector and landmarks): live person, still image, still image moved
   around, eyes closed for a few frames, a photo with closed eyes, for every challenge.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import logging
import sys
import time
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from drivers.camera.face_engine import FaceEngine  # noqa: E402
from drivers.camera.quality import FrameAnalyzer  # noqa: E402
from drivers.camera.synth import (
    FaceSynth,
    Pose,
    astronaut_bgr,
    eyes_closed_script,
    lfw_face_bgr,  # noqa: E402
    live_script,
    still_photo_script,
)
from kiosk.liveness import Challenge, LivenessSession, LivenessState  # noqa: E402
from server.face.verifier import DEFAULT_THRESHOLD, FaceImageError, FaceVerifier  # noqa: E402

logger = logging.getLogger(__name__)
FPS = 25.0
# In the repository, so the evaluation runs from a fresh clone.
FACES_DIR = REPO / "tests" / "data" / "faces"


def _load(path: Path) -> np.ndarray:
    image = cv2.imread(str(path))
    scale = 1024 / max(image.shape[:2])
    return cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else image


def expected_faces(identities: dict[str, str]) -> dict[str, int]:
    counts = {name: 1 for name in identities}
    counts.update({name: 2 for name, person in identities.items() if person == "(two faces)"})
    return counts


def detection(faces_dir: Path, identities: dict[str, str]) -> None:
    expected = expected_faces(identities)
    for path in sorted(faces_dir.glob("*.jpg")):
        expected.setdefault(path.name, 1)  # deepface images: one portrait each
    hog = FaceEngine()
    haar = cv2.CascadeClassifier(str(Path(cv2.data.haarcascades) / "haarcascade_frontalface_default.xml"))
    print("## 1. Detection")
    print(f"{len(expected)} images, {sum(expected.values())} faces expected")
    for label, detect in (
        ("dlib HOG (used)", lambda img: len(hog.detect(img))),
        (
            "OpenCV Haar frontalface_default",
            lambda img: len(haar.detectMultiScale(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY), 1.1, 5, minSize=(60, 60))),
        ),
    ):
        found = missed = extra = 0
        started = time.perf_counter()
        wrong = []
        for name, want in sorted(expected.items()):
            got = detect(_load(faces_dir / name))
            found += min(got, want)
            missed += max(0, want - got)
            extra += max(0, got - want)
            if got != want:
                wrong.append(f"{name}:{got}/{want}")
        elapsed = (time.perf_counter() - started) / len(expected) * 1000
        total = sum(expected.values())
        print(
            f"- {label}: detection rate {found}/{total} = {found / total:.1%}, missed {missed}, "
            f"false detections {extra}, {elapsed:.0f} ms/image; wrong counts: {', '.join(wrong) or 'none'}"
        )
    print()


def pairs(faces_dir: Path, identities: dict[str, str]) -> list[tuple[str, str, bool]]:
    out = []
    with open(faces_dir / "pairs.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            out.append((row["file_x"], row["file_y"], row["same_person"].strip() == "1"))
    people = {
        name: person.replace(" (partial face)", "") for name, person in identities.items() if not person.startswith("(")
    }
    for a, b in itertools.combinations(sorted(people), 2):
        out.append((a, b, people[a] == people[b]))
    return out


def verification(faces_dir: Path, identities: dict[str, str], threshold: float) -> None:
    verifier = FaceVerifier(threshold)
    all_pairs = pairs(faces_dir, identities)
    names = sorted({n for a, b, _ in all_pairs for n in (a, b)})
    vectors: dict[str, np.ndarray | None] = {}
    for name in names:
        try:
            vectors[name] = verifier.embed((faces_dir / name).read_bytes())
        except FaceImageError:
            vectors[name] = None
    usable = [(a, b, same) for a, b, same in all_pairs if vectors[a] is not None and vectors[b] is not None]
    scores = [(verifier.score(vectors[a], vectors[b]), same, a, b) for a, b, same in usable]  # type: ignore[arg-type]
    genuine = [s for s, same, _, _ in scores if same]
    impostor = [s for s, same, _, _ in scores if not same]
    fa = sum(s >= threshold for s in impostor)
    fr = sum(s < threshold for s in genuine)
    print("## 2. Verification (dlib ResNet embedding, score = 1 - distance)")
    print(
        f"{len(all_pairs)} pairs ({len(genuine)} same, {len(impostor)} different), "
        f"{len(all_pairs) - len(usable)} unusable (no face)"
    )
    print(
        f"threshold {threshold}: FAR {fa}/{len(impostor)} = {fa / len(impostor):.2%}, "
        f"FRR {fr}/{len(genuine)} = {fr / len(genuine):.2%}"
    )
    if fa == 0:
        print(
            f"  (0 false accepts in {len(impostor)} trials: 95% upper bound on FAR = 3/{len(impostor)} = "
            f"{3 / len(impostor):.1%}; this set cannot show FAR <= 0.1%, which needs >= 3000 impostor pairs)"
        )
    print(
        f"same-person scores: min {min(genuine):.3f}, median {np.median(genuine):.3f}; "
        f"different-person scores: max {max(impostor):.3f}, median {np.median(impostor):.3f}"
    )
    for s, same, a, b in sorted(scores, key=lambda item: item[0]):
        if same and s < threshold + 0.05:
            print(f"  weakest genuine pair: {a} / {b}: {s:.3f}")
    print(
        "threshold sweep: "
        + "; ".join(
            f"{t:.2f}: FAR {sum(s >= t for s in impostor)}/{len(impostor)} FRR {sum(s < t for s in genuine)}/{len(genuine)}"
            for t in (0.30, 0.35, 0.40, 0.45, 0.50, 0.55)
        )
    )
    print()


def _run_liveness(analyzer: FrameAnalyzer, frames: list[np.ndarray], challenge: Challenge) -> tuple[bool, float]:
    session = LivenessSession([challenge])
    for i in range(int(session.config.challenge_timeout_s * FPS) + 2):
        analysis = analyzer.analyze(frames[i % len(frames)])
        status = session.feed(i / FPS, analysis.landmarks if analysis.metrics.faces == 1 else None)
        if status.state is not LivenessState.RUNNING:
            return status.state is LivenessState.PASSED, i / FPS
    return False, i / FPS


def liveness() -> None:
    engine = FaceEngine()
    analyzer = FrameAnalyzer(engine)
    person = FaceSynth(astronaut_bgr(), FaceEngine(upsample=1))
    other = FaceSynth(lfw_face_bgr(), FaceEngine(upsample=1))
    neutral = person.render(Pose(noise=0))
    scenarios: list[tuple[str, list[np.ndarray], bool]] = [
        ("live person (astronaut)", [person.render(p) for p in live_script(FPS)], True),
        ("live other person (LFW)", [other.render(p) for p in live_script(FPS)], True),
        ("still image (identical frames)", [neutral], False),
        ("still image moved around", [person.render(p) for p in still_photo_script(FPS)], False),
        ("photo with eyes closed", [person.render(Pose(eyes=1.0))], False),
    ]
    for k in (1, 2, 4, 8):
        scenarios.append(
            (f"eyes closed for {k} frame(s), then open", [person.render(p) for p in eyes_closed_script(FPS, k)], None)
        )
    print("## 3. Liveness on generated frame sequences (one challenge at a time, 8 s limit, 25 fps)")
    print("scenario | " + " | ".join(c.value for c in Challenge) + " | expected")
    for label, frames, expected in scenarios:
        cells = []
        for challenge in Challenge:
            passed, seconds = _run_liveness(analyzer, frames, challenge)
            cells.append(f"{'PASS' if passed else 'fail'} {seconds:.1f}s")
        want = {True: "pass all", False: "fail all", None: "pass blink only"}[expected]
        print(f"{label} | " + " | ".join(cells) + f" | {want}")
    print()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/eval_faces.py")
    parser.add_argument("faces_dir", nargs="?", type=Path, default=FACES_DIR)
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    parser.add_argument("--skip-liveness", action="store_true")
    args = parser.parse_args(argv)
    if not (args.faces_dir / "pairs.csv").is_file():
        print(f"eval_faces: no evaluation set at {args.faces_dir}", file=sys.stderr)
        return 2
    with open(args.faces_dir / "identities.csv", newline="") as fh:
        identities = {row["file"]: row["person"] for row in csv.DictReader(fh)}
    detection(args.faces_dir, identities)
    verification(args.faces_dir, identities, args.threshold)
    if not args.skip_liveness:
        liveness()
    return 0


if __name__ == "__main__":
    sys.exit(main())
