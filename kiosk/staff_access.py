"""Staff access at the terminal: the hidden gesture and the staff PIN, without Kivy.

Staff reach the maintenance screen by tapping a top corner of the screen ``CORNER_TAPS`` times
within ``CORNER_SECONDS`` (``CornerTaps``), then entering the staff PIN. The config holds only a
salted PBKDF2 hash of the PIN (``ui.staff_pin_hash``, made by ``python -m kiosk.staff_access``),
never the PIN. An empty, malformed or weak hash (too few iterations, short salt) disables the
gesture altogether: ``hash_refusal`` says why, and the controller logs it once.
"""

from __future__ import annotations

import getpass
import hashlib
import hmac
import logging
import secrets
import sys
from collections import deque
from importlib import metadata
from pathlib import Path

logger = logging.getLogger(__name__)

CORNER_TAPS = 5
CORNER_SECONDS = 3.0
MAX_PIN_TRIES = 3
PIN_MIN_LENGTH = 6
PIN_MAX_LENGTH = 12
ITERATIONS = 200_000
MIN_ITERATIONS = 100_000
MIN_SALT_BYTES = 16
SCHEME = "pbkdf2_sha256"


def _derive(pin: str, salt: bytes, iterations: int) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", pin.encode("utf-8"), salt, iterations)


def pin_refusal(pin: str) -> str | None:
    """Why ``pin`` may not be the staff PIN (digits only, 6–12, not one digit repeated nor a run
    like 123456), or None when it may."""
    if not pin.isdigit() or not PIN_MIN_LENGTH <= len(pin) <= PIN_MAX_LENGTH:
        return f"{PIN_MIN_LENGTH} to {PIN_MAX_LENGTH} digits"
    if len(set(pin)) == 1:
        return "not one digit repeated"
    steps = {(int(b) - int(a)) % 10 for a, b in zip(pin, pin[1:], strict=False)}
    if steps in ({1}, {9}):
        return "not a run of digits such as 123456"
    return None


def hash_pin(pin: str, salt: bytes | None = None, iterations: int = ITERATIONS) -> str:
    """The value for ``ui.staff_pin_hash``: ``pbkdf2_sha256$<iterations>$<salt hex>$<hash hex>``.
    Raises ValueError for a weak PIN (``pin_refusal``)."""
    reason = pin_refusal(pin)
    if reason is not None:
        raise ValueError(f"the staff PIN must be {reason}")
    salt = salt if salt is not None else secrets.token_bytes(MIN_SALT_BYTES)
    return f"{SCHEME}${iterations}${salt.hex()}${_derive(pin, salt, iterations).hex()}"


def _parse(stored: str) -> tuple[int, bytes, bytes] | None:
    parts = stored.strip().split("$")
    if len(parts) != 4 or parts[0] != SCHEME:
        return None
    try:
        return int(parts[1]), bytes.fromhex(parts[2]), bytes.fromhex(parts[3])
    except ValueError:
        return None


def hash_refusal(stored: str) -> str | None:
    """Why the configured hash cannot guard the maintenance screen (the gesture is then off), or
    None when it can."""
    if not stored.strip():
        return "no staff PIN is configured (ui.staff_pin_hash is empty)"
    parsed = _parse(stored)
    if parsed is None:
        return f"ui.staff_pin_hash is not {SCHEME}$<iterations>$<salt hex>$<hash hex>"
    iterations, salt, digest = parsed
    if iterations < MIN_ITERATIONS or len(salt) < MIN_SALT_BYTES or len(digest) != 32:
        return f"ui.staff_pin_hash is weak: at least {MIN_ITERATIONS} iterations and a {MIN_SALT_BYTES}-byte salt"
    return None


def verify_pin(pin: str, stored: str) -> bool:
    """True when ``pin`` matches the usable hash ``stored`` (compared in constant time)."""
    if hash_refusal(stored) is not None:
        return False
    parsed = _parse(stored)
    if parsed is None:
        return False
    iterations, salt, digest = parsed
    return hmac.compare_digest(_derive(pin, salt, iterations), digest)


class CornerTaps:
    """Counts taps in the hidden corner: ``tap(now)`` is True on the ``count``-th tap within
    ``seconds`` (and starts counting afresh)."""

    def __init__(self, count: int = CORNER_TAPS, seconds: float = CORNER_SECONDS) -> None:
        self.count = count
        self.seconds = seconds
        self._times: deque[float] = deque(maxlen=count)

    def tap(self, now: float) -> bool:
        self._times.append(now)
        if len(self._times) == self.count and now - self._times[0] <= self.seconds:
            self._times.clear()
            return True
        return False


def app_version() -> str:
    """The kiosk's version: the installed distribution's, else pyproject.toml's."""
    try:
        return metadata.version("renshe-kiosk")
    except metadata.PackageNotFoundError:
        pass
    import tomllib

    pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
    try:
        return str(tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "unknown"


def main() -> int:
    """``python -m kiosk.staff_access``: ask for a staff PIN twice, print its hash for the config."""
    first = getpass.getpass("staff PIN: ")
    if first != getpass.getpass("again: "):
        print("the two PINs differ", file=sys.stderr)
        return 1
    try:
        print(f'[ui]\nstaff_pin_hash = "{hash_pin(first)}"')
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
