"""ScriptedConnection: a CardConnection that holds the exact expected command → response list.

Any command that differs from the script, comes after the script ended, or an expected command
never sent (checked by ``assert_done``, called automatically by the ``scripted`` fixture) FAILS
the test.  Entries are hex strings (spaces allowed) or bytes; a response may also be a
CardError instance to raise (transport loss).
"""

from __future__ import annotations

import pytest

from drivers.card.base import CardConnection
from kiosk.errors import CardError


def _b(value: str | bytes) -> bytes:
    return bytes.fromhex(value.replace(" ", "")) if isinstance(value, str) else bytes(value)


class ScriptedConnection(CardConnection):
    def __init__(self, script: list[tuple[str | bytes, str | bytes | CardError]]) -> None:
        self.script = list(script)
        self.sent: list[bytes] = []
        self.disconnected = False

    def transmit(self, apdu: bytes) -> bytes:
        step = len(self.sent)
        self.sent.append(bytes(apdu))
        if step >= len(self.script):
            pytest.fail(f"extra command #{step}: {bytes(apdu).hex(' ').upper()} (script has {len(self.script)})")
        expected, response = self.script[step]
        if bytes(apdu) != _b(expected):
            pytest.fail(
                f"command #{step} differs:\n  sent     {bytes(apdu).hex(' ').upper()}\n"
                f"  expected {_b(expected).hex(' ').upper()}"
            )
        if isinstance(response, CardError):
            raise response
        return _b(response)

    def disconnect(self) -> None:
        self.disconnected = True

    def assert_done(self) -> None:
        if len(self.sent) < len(self.script):
            missing = _b(self.script[len(self.sent)][0]).hex(" ").upper()
            pytest.fail(f"expected command #{len(self.sent)} never sent: {missing}")
