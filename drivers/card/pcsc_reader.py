"""PcscCardReader: a CardReader over PC/SC (pcscd) through pyscard's ``smartcard.scard`` layer.

The low-level API is used instead of pyscard's object layer so that every PC/SC return code
maps precisely to a CardErrorKind (the object layer folds many into one exception class).

Robustness rules (pcscd restarts, readers unplugged):
- no context is cached: every call establishes and releases its own PC/SC context, so a
  restarted pcscd is picked up by the next call (a dead context is never reused);
- readers are listed anew on every call; the configured reader is picked by exact name first,
  then as a case-insensitive regular expression (first match); empty = first reader;
- errors: service unreachable → SERVICE; reader gone → NO_READER; no card → NO_CARD;
  unresponsive card → MUTE; transmit failure with the card gone → REMOVED, card still there → MUTE.
"""

from __future__ import annotations

import logging
import re
import time

from smartcard import scard

from drivers.card.base import CardConnection, CardReader
from kiosk.errors import CardError, CardErrorKind

logger = logging.getLogger(__name__)

# How long a failed transmit waits for pcscd to report the card gone before calling it MUTE:
# pcscd polls vpcd/serial readers every 0.4 s.
LOSS_SETTLE_TIME = 0.6

_SERVICE = {
    scard.SCARD_E_NO_SERVICE,
    scard.SCARD_E_SERVICE_STOPPED,
    scard.SCARD_F_INTERNAL_ERROR,
    scard.SCARD_E_INVALID_HANDLE,
    scard.SCARD_E_NO_MEMORY,
}
_NO_READER = {scard.SCARD_E_NO_READERS_AVAILABLE, scard.SCARD_E_UNKNOWN_READER, scard.SCARD_E_READER_UNAVAILABLE}
_NO_CARD = {scard.SCARD_E_NO_SMARTCARD, scard.SCARD_W_REMOVED_CARD}
_MUTE = {
    scard.SCARD_W_UNRESPONSIVE_CARD,
    scard.SCARD_W_UNPOWERED_CARD,
    scard.SCARD_E_TIMEOUT,
    scard.SCARD_W_UNSUPPORTED_CARD,
    scard.SCARD_E_PROTO_MISMATCH,
}


def _code(hresult: int) -> int:
    return hresult & 0xFFFFFFFF


def _message(hresult: int) -> str:
    try:
        return f"{scard.SCardGetErrorMessage(hresult)} (0x{_code(hresult):08X})"
    except Exception:  # noqa: BLE001 - a message lookup must never hide the real error
        return f"0x{_code(hresult):08X}"


def _error(hresult: int, what: str, default: CardErrorKind) -> CardError:
    code = _code(hresult)
    if code in {_code(c) for c in _SERVICE}:
        kind = CardErrorKind.SERVICE
    elif code in {_code(c) for c in _NO_READER}:
        kind = CardErrorKind.NO_READER
    elif code in {_code(c) for c in _NO_CARD}:
        kind = CardErrorKind.NO_CARD
    elif code in {_code(c) for c in _MUTE}:
        kind = CardErrorKind.MUTE
    else:
        kind = default
    return CardError(kind, f"{what}: {_message(hresult)}")


class _Context:
    """One PC/SC context for the duration of a call."""

    def __enter__(self) -> int:
        try:
            hresult, self.handle = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        except Exception as exc:  # noqa: BLE001 - pyscard raises plain exceptions on library trouble
            raise CardError(CardErrorKind.SERVICE, f"PC/SC library: {exc}") from exc
        if hresult != scard.SCARD_S_SUCCESS:
            raise CardError(CardErrorKind.SERVICE, f"EstablishContext: {_message(hresult)}")
        return self.handle

    def __exit__(self, *exc: object) -> None:
        scard.SCardReleaseContext(self.handle)


def _list(hcontext: int) -> list[str]:
    hresult, names = scard.SCardListReaders(hcontext, [])
    if _code(hresult) in (_code(scard.SCARD_E_NO_READERS_AVAILABLE),):
        return []
    if hresult != scard.SCARD_S_SUCCESS:
        raise _error(hresult, "ListReaders", CardErrorKind.SERVICE)
    return list(names)


class PcscCardReader(CardReader):
    """The configured PC/SC reader: ``reader`` is an exact name or a regex ('' = first reader)."""

    def __init__(self, reader: str = "", protocol: int | None = None) -> None:
        self.pattern = reader
        self.name = reader
        self._last_state = scard.SCARD_STATE_UNAWARE
        self.protocol = protocol if protocol is not None else (scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1)

    def list_readers(self) -> list[str]:
        with _Context() as hcontext:
            return _list(hcontext)

    def _pick(self, names: list[str]) -> str:
        if not names:
            raise CardError(CardErrorKind.NO_READER, "no PC/SC reader connected")
        if not self.pattern:
            return names[0]
        if self.pattern in names:
            return self.pattern
        regex = re.compile(self.pattern, re.IGNORECASE)
        for name in names:
            if regex.search(name):
                return name
        raise CardError(CardErrorKind.NO_READER, f"no reader matches {self.pattern!r} (have {names})")

    def card_present(self) -> bool:
        with _Context() as hcontext:
            self.name = self._pick(_list(hcontext))
            present, self._last_state = _state(hcontext, self.name)
            return present

    def wait_for_change(self, timeout: float) -> None:
        """Block in SCardGetStatusChange (up to ``timeout``) from the state last seen by card_present."""
        start = time.monotonic()
        try:
            with _Context() as hcontext:
                scard.SCardGetStatusChange(
                    hcontext, max(int(timeout * 1000), 1), [(self.name, self._last_state & ~scard.SCARD_STATE_CHANGED)]
                )
        except CardError:
            pass  # the next card_present() reports it; here we only pace the loop
        except Exception:  # noqa: BLE001 - never let a pacing call kill the monitor thread
            logger.debug("GetStatusChange failed", exc_info=True)
        left = timeout - (time.monotonic() - start)
        if left > timeout * 0.9:
            # Returned at once (error, or state already different): do not spin.
            time.sleep(min(left, 0.02))

    def connect(self) -> CardConnection:
        with _Context() as hcontext:
            self.name = self._pick(_list(hcontext))
        # The connection owns its own context: it lives as long as the resident session.
        ctx = _Context()
        hcontext = ctx.__enter__()
        try:
            hresult, hcard, protocol = scard.SCardConnect(hcontext, self.name, scard.SCARD_SHARE_SHARED, self.protocol)
            if hresult != scard.SCARD_S_SUCCESS:
                raise _error(hresult, f"Connect {self.name}", CardErrorKind.MUTE)
        except BaseException:
            ctx.__exit__(None, None, None)
            raise
        logger.info(
            "connected to card in %s (protocol T=%d)", self.name, 0 if protocol == scard.SCARD_PROTOCOL_T0 else 1
        )
        return PcscConnection(ctx, hcontext, hcard, protocol, self.name)


def _state_present(hcontext: int, name: str) -> bool:
    return _state(hcontext, name)[0]


def _state(hcontext: int, name: str) -> tuple[bool, int]:
    hresult, states = scard.SCardGetStatusChange(hcontext, 0, [(name, scard.SCARD_STATE_UNAWARE)])
    if hresult != scard.SCARD_S_SUCCESS and _code(hresult) != _code(scard.SCARD_E_TIMEOUT):
        raise _error(hresult, f"GetStatusChange {name}", CardErrorKind.SERVICE)
    _, event_state, _atr = states[0]
    if event_state & (scard.SCARD_STATE_UNKNOWN | scard.SCARD_STATE_UNAVAILABLE | scard.SCARD_STATE_IGNORE):
        raise CardError(CardErrorKind.NO_READER, f"reader {name!r} unavailable")
    return bool(event_state & scard.SCARD_STATE_PRESENT), event_state


class PcscConnection(CardConnection):
    def __init__(self, ctx: _Context, hcontext: int, hcard: int, protocol: int, reader: str) -> None:
        self._ctx = ctx
        self._hcontext = hcontext
        self._hcard = hcard
        self._protocol = protocol
        self.reader = reader
        self._open = True
        self._broken = False  # a transport error happened: do not ask the card for a reset

    def transmit(self, apdu: bytes) -> bytes:
        if not self._open:
            raise CardError(CardErrorKind.REMOVED, "connection closed")
        try:
            hresult, response = scard.SCardTransmit(self._hcard, self._protocol, list(apdu))
        except Exception as exc:  # noqa: BLE001 - pyscard raises plain exceptions on library trouble
            raise CardError(CardErrorKind.REMOVED, f"Transmit: {exc}") from exc
        if hresult == scard.SCARD_S_SUCCESS and len(response) >= 2:
            return bytes(response)
        self._broken = True
        if hresult == scard.SCARD_S_SUCCESS:
            # vpcd (and some readers) report a lost card as an empty answer: tell pulled from mute.
            kind = CardErrorKind.REMOVED if self._card_gone() else CardErrorKind.MUTE
            raise CardError(kind, f"Transmit: {len(response)}-byte answer")
        raise self._transmit_error(hresult)

    def _card_gone(self, timeout: float = LOSS_SETTLE_TIME) -> bool:
        """Wait up to ``timeout`` for pcscd to notice the card left (its presence poll is ~0.4 s)."""
        deadline = time.monotonic() + timeout
        try:
            while True:
                present, state = _state(self._hcontext, self.reader)
                left = deadline - time.monotonic()
                if not present:
                    return True
                if left <= 0:
                    return False
                scard.SCardGetStatusChange(
                    self._hcontext, max(int(left * 1000), 1), [(self.reader, state & ~scard.SCARD_STATE_CHANGED)]
                )
        except CardError:
            return True

    def _transmit_error(self, hresult: int) -> CardError:
        code = _code(hresult)
        if code in {_code(c) for c in (*_NO_CARD, scard.SCARD_W_RESET_CARD)}:
            return CardError(CardErrorKind.REMOVED, f"Transmit: {_message(hresult)}")
        if code in {_code(c) for c in _SERVICE}:
            return CardError(CardErrorKind.SERVICE, f"Transmit: {_message(hresult)}")
        # A generic failure (NOT_TRANSACTED, COMM_ERROR...): gone card → REMOVED, else MUTE.
        kind = CardErrorKind.REMOVED if self._card_gone() else CardErrorKind.MUTE
        return CardError(kind, f"Transmit: {_message(hresult)}")

    def disconnect(self) -> None:
        if not self._open:
            return
        self._open = False
        # Reset on a normal end so a verified PIN never outlives the resident's session; after a
        # transport error just let go (a reset would wait on a card that no longer answers).
        disposition = scard.SCARD_LEAVE_CARD if self._broken else scard.SCARD_RESET_CARD
        try:
            scard.SCardDisconnect(self._hcard, disposition)
        except Exception:  # noqa: BLE001 - the card/service may already be gone; nothing to undo
            logger.debug("disconnect failed", exc_info=True)
        self._ctx.__exit__(None, None, None)
