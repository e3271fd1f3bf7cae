"""Client of the terminal gateway (server/, /api/v1) on ``requests``.

Contract:
- one pooled ``requests.Session``, made at the first call (importing requests is not on the
  kiosk's path to its first frame); every call has a (connect, read) timeout of ``timeout`` seconds;
- retries with exponential backoff only for idempotent calls: GET, DELETE, and the certificate
  POST that carries an idempotency key; never for session start, reprint or enrolment;
- errors are typed (kiosk.errors): connection failures and 5xx → ``BackendUnavailable``,
  timeouts → ``BackendTimeout``, 4xx → ``BackendRejected`` carrying the server's code and its
  Chinese and English messages;
- nothing is written to disk and no resident data is logged (paths hold only opaque ids).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from typing import TYPE_CHECKING, Any

from kiosk.errors import BackendRejected, BackendTimeout, BackendUnavailable, FaceRefused

if TYPE_CHECKING:
    import requests

logger = logging.getLogger(__name__)

API = "/api/v1"
# Default read timeout of the face session start (server-side verification of up to 3 frames).
FACE_TIMEOUT = 15.0
# The gateway's answers that mean "not this face" (mismatch, daily lock, no enrolled photo, no usable
# face): by code, since the same statuses also carry refusals of the card proof, which end the session.
FACE_REFUSAL_CODES = frozenset(
    {
        "face_mismatch",
        "face_locked",
        "no_enrolled_photo",
        "no_face_in_capture",
        "inconsistent_capture",
        "invalid_frames",
    }
)


class BackendClient:
    """Typed access to the gateway for one terminal (``token`` from enrolment; None before it)."""

    def __init__(
        self, base_url: str, token: str | None, timeout: float = 5.0, retries: int = 2, backoff: float = 0.2
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.retries = max(0, retries)
        self.backoff = backoff
        self._token = token
        self._session: requests.Session | None = None
        self._session_lock = threading.Lock()

    @property
    def _http(self) -> requests.Session:
        """The pooled session, made at the first call (any thread may make it)."""
        with self._session_lock:
            if self._session is None:
                self._session = pooled_session(2, 8, {"Accept": "application/json", "User-Agent": "renshe-kiosk/1"})
            return self._session

    def set_token(self, token: str | None) -> None:
        self._token = token

    def close(self) -> None:
        with self._session_lock:
            if self._session is not None:
                self._session.close()

    def __enter__(self) -> BackendClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- transport -------------------------------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        *,
        idempotent: bool,
        json: Any = None,
        params: dict[str, Any] | None = None,
        auth: bool = True,
        data: dict[str, str] | None = None,
        files: list[tuple[str, tuple[str, bytes, str]]] | None = None,
        timeout: float | None = None,
    ) -> requests.Response:
        import requests

        headers = {"X-Request-ID": uuid.uuid4().hex[:16]}
        if auth and self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        attempts = 1 + (self.retries if idempotent else 0)
        wait = self.timeout if timeout is None else timeout
        last_error: Exception | None = None
        for attempt in range(attempts):
            if attempt:
                time.sleep(self.backoff * (2 ** (attempt - 1)))
            try:
                resp = self._http.request(
                    method,
                    self.base_url + path,
                    json=json,
                    params=params,
                    data=data,
                    files=files,
                    headers=headers,
                    timeout=(self.timeout, wait),
                )
            except requests.Timeout as exc:
                last_error = BackendTimeout(f"{method} {path}: timed out after {wait}s")
                logger.warning("backend timeout", extra={"method": method, "attempt": attempt + 1})
                last_error.__cause__ = exc
                continue
            except requests.RequestException as exc:
                last_error = BackendUnavailable(f"{method} {path}: {type(exc).__name__}")
                last_error.__cause__ = exc
                logger.warning("backend unreachable", extra={"method": method, "attempt": attempt + 1})
                continue
            if resp.status_code >= 500:
                last_error = BackendUnavailable(f"{method} {path}: HTTP {resp.status_code}")
                logger.warning(
                    "backend error", extra={"method": method, "status": resp.status_code, "attempt": attempt + 1}
                )
                continue
            if resp.status_code >= 400:
                raise _rejected(resp)
            return resp
        if last_error is None:  # attempts is at least 1, so this only guards against a logic slip
            last_error = BackendUnavailable(f"{method} {path}: no attempt made")
        raise last_error

    def _json(self, method: str, path: str, *, idempotent: bool, **kwargs: Any) -> dict[str, Any]:
        resp = self._request(method, path, idempotent=idempotent, **kwargs)
        try:
            data = resp.json()
        except ValueError as exc:
            raise BackendUnavailable(f"{method} {path}: answer is not JSON") from exc
        if not isinstance(data, dict):
            raise BackendUnavailable(f"{method} {path}: answer is not a JSON object")
        return data

    # -- API ---------------------------------------------------------------------------------------

    def health(self) -> bool:
        """True when the gateway and its database answer; never raises."""
        import requests

        try:
            resp = self._http.get(self.base_url + "/healthz", timeout=(self.timeout, self.timeout))
        except requests.RequestException:
            return False
        return resp.status_code == 200

    def enroll(self, terminal_id: str | None, code: str) -> dict[str, Any]:
        """Exchange a one-time enrolment code for ``{terminal_id, token}`` (the caller stores the token).

        The code names its terminal, so ``terminal_id`` may be None; when given, the gateway only
        checks it against the code's. Refusals arrive as ``BackendRejected``: ``enrolment_refused``
        (403, wrong code), ``enrolment_code_used`` and ``enrolment_terminal_mismatch`` (409).
        """
        body = {"code": code} if terminal_id is None else {"terminal_id": terminal_id, "code": code}
        return self._json("POST", f"{API}/terminals/enroll", idempotent=False, auth=False, json=body)

    def session_challenge(self) -> bytes:
        """A fresh 16-byte challenge for the card to answer (single use, this terminal's, 60 s).

        Never retried: each one counts as a session start towards the terminal's limit. Refusals:
        ``too_many_session_starts`` / ``too_many_failed_proofs`` (429).
        """
        answer = self._json("POST", f"{API}/sessions/challenge", idempotent=False)
        try:
            challenge = bytes.fromhex(str(answer["challenge"]))
        except (KeyError, ValueError) as exc:
            raise BackendUnavailable("POST /sessions/challenge: no challenge in the answer") from exc
        if len(challenge) != 16:
            raise BackendUnavailable("POST /sessions/challenge: the challenge is not 16 bytes")
        return challenge

    def start_session(self, ssn: str, card_number: str, challenge: bytes, cryptogram: bytes) -> dict[str, Any]:
        """A ``card_pin`` session with the card's key-02 answer to ``challenge`` (kiosk.card_sign_in):
        ``{session_id, person: {name, gender, birth_date, region, region_name, ssn_masked}}``.

        Never retried (the challenge is single use). Refusals: ``card_not_verified`` /
        ``card_challenge_invalid`` (403), ``card_mismatch`` / ``card_lost`` (409), the limits (429).
        """
        return self._json(
            "POST",
            f"{API}/sessions",
            idempotent=False,
            json={"ssn": ssn, "card_number": card_number, "challenge": challenge.hex(), "cryptogram": cryptogram.hex()},
        )

    def start_face_session(
        self,
        ssn: str,
        card_number: str,
        frames: list[bytes],
        challenge: bytes,
        cryptogram: bytes,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        """Open a session by the card's key-01 answer to ``challenge`` and a 1:1 face verification of
        1-3 JPEG ``frames`` (each ≤ 512 KiB).

        Returns ``{session_id, person, face: {score}}``. Never retried: a failed verification
        counts towards the resident's daily lock. A refused face raises ``FaceRefused`` (a
        ``BackendRejected``) with the server's code: ``face_mismatch`` (403), ``face_locked`` (429), ``no_enrolled_photo`` (409),
        ``no_face_in_capture`` / ``inconsistent_capture`` / ``invalid_frames`` (422);
        ``frame_too_large`` (413) and those of :meth:`start_session` stay plain ``BackendRejected``. The read timeout defaults to ``max(self.timeout, 15)``
        seconds: verification costs a few hundred ms per frame on a busy server.
        """
        try:
            return self._json(
                "POST",
                f"{API}/sessions/face",
                idempotent=False,
                data={
                    "ssn": ssn,
                    "card_number": card_number,
                    "challenge": challenge.hex(),
                    "cryptogram": cryptogram.hex(),
                },
                files=[("frames", (f"frame{i}.jpg", frame, "image/jpeg")) for i, frame in enumerate(frames)],
                timeout=max(self.timeout, FACE_TIMEOUT) if timeout is None else timeout,
            )
        except BackendRejected as exc:
            if exc.code in FACE_REFUSAL_CODES:
                raise FaceRefused(exc.status_code, exc.code, exc.message_zh, exc.message_en) from exc
            raise

    def face_check(self, session_id: str, frames: list[bytes], timeout: float | None = None) -> dict[str, Any]:
        """A 1:1 face check of 1-3 live JPEG ``frames`` inside the open session (the card is not
        asked again): ``{face_check_id, score}``. Never retried (a failure counts towards the
        resident's daily lock, shared with face sign-in); a refused face raises ``FaceRefused``
        as :meth:`start_face_session` does (``face_locked`` sends the resident to the counter)."""
        try:
            return self._json(
                "POST",
                f"{API}/sessions/{session_id}/face-checks",
                idempotent=False,
                files=[("frames", (f"frame{i}.jpg", frame, "image/jpeg")) for i, frame in enumerate(frames)],
                timeout=max(self.timeout, FACE_TIMEOUT) if timeout is None else timeout,
            )
        except BackendRejected as exc:
            if exc.code in FACE_REFUSAL_CODES:
                raise FaceRefused(exc.status_code, exc.code, exc.message_zh, exc.message_en) from exc
            raise

    def upload_card_photo(self, session_id: str, jpeg: bytes) -> dict[str, Any]:
        """Keep a 社保卡 photo (358 × 441 JPEG) the terminal took in the open session: ``{photo_id}``
        for the card forms' ``photo:<photo_id>``. Never retried (a retry would store it twice);
        refusals (``invalid_photo``, ``photo_face``, ``photo_too_large``) raise BackendRejected."""
        return self._json(
            "POST",
            f"{API}/sessions/{session_id}/card-photos",
            idempotent=False,
            files=[("photo", ("photo.jpg", jpeg, "image/jpeg"))],
        )

    def end_session(self, session_id: str) -> None:
        self._request("DELETE", f"{API}/sessions/{session_id}", idempotent=True)

    def insurance(self, session_id: str) -> dict[str, Any]:
        """参保信息: ``{person, enrolments: [...], summary: {months_paid_total, first_paid_period}}``."""
        return self._json("GET", f"{API}/sessions/{session_id}/insurance", idempotent=True)

    def contributions(
        self,
        session_id: str,
        from_period: str | None = None,
        to_period: str | None = None,
        page: int = 1,
        page_size: int = 100,
        type_code: str | None = None,
    ) -> dict[str, Any]:
        """缴费明细: ``{items, page, page_size, total_items, totals}`` (periods YYYY-MM, inclusive)."""
        params: dict[str, Any] = {"page": page, "page_size": page_size}
        if from_period:
            params["from"] = from_period
        if to_period:
            params["to"] = to_period
        if type_code:
            params["type"] = type_code
        return self._json("GET", f"{API}/sessions/{session_id}/contributions", idempotent=True, params=params)

    def benefits(self, session_id: str, kind: str | None = None) -> dict[str, Any]:
        """养老金/失业金 发放记录: ``{items, total_amount}``."""
        params = {"kind": kind} if kind else None
        return self._json("GET", f"{API}/sessions/{session_id}/benefits", idempotent=True, params=params)

    def rights(self, session_id: str, from_year: int | None = None, to_year: int | None = None) -> dict[str, Any]:
        """个人权益单 by year: ``{person, from_year, to_year, years: [...]}``."""
        params = {k: v for k, v in (("from_year", from_year), ("to_year", to_year)) if v is not None}
        return self._json("GET", f"{API}/sessions/{session_id}/rights", idempotent=True, params=params or None)

    def cards(self, session_id: str) -> dict[str, Any]:
        """社保卡 status and 制卡进度: ``{cards: [...]}``."""
        return self._json("GET", f"{API}/sessions/{session_id}/cards", idempotent=True)

    def issue_certificate(
        self,
        session_id: str,
        kind: str,
        from_period: str | None = None,
        to_period: str | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """Issue ``insured`` / ``payment`` / ``rights``; retried safely thanks to the idempotency key."""
        body: dict[str, Any] = {"kind": kind, "idempotency_key": idempotency_key or uuid.uuid4().hex}
        if from_period:
            body["from"] = from_period
        if to_period:
            body["to"] = to_period
        return self._json("POST", f"{API}/sessions/{session_id}/certificates", idempotent=True, json=body)

    def submit_application(
        self, session_id: str, kind: str, form: dict[str, Any] | None = None, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """Submit 失业登记 etc. (kinds in server/applications/); keyed, so retried safely.

        Returns the receipt: ``{number, kind, type_name, status, status_name, submitted_at, person, fields,
        history, next_steps}``."""
        body = {"kind": kind, "form": form or {}, "idempotency_key": idempotency_key or uuid.uuid4().hex}
        return self._json("POST", f"{API}/sessions/{session_id}/applications", idempotent=True, json=body)

    def applications(self, session_id: str) -> dict[str, Any]:
        """办事进度: ``{items: [...]}`` newest first."""
        return self._json("GET", f"{API}/sessions/{session_id}/applications", idempotent=True)

    def reprint_certificate(self, session_id: str, serial: str) -> dict[str, Any]:
        """The same certificate with ``reprint: true`` (counted server-side, so never retried)."""
        return self._json("POST", f"{API}/sessions/{session_id}/certificates/{serial}/reprint", idempotent=False)

    def verify_certificate(self, serial: str, code: str) -> dict[str, Any]:
        """Public check: ``{genuine, serial, kind, title, name_masked, ...}``."""
        return self._json("GET", f"{API}/certificates/{serial}", idempotent=True, params={"code": code}, auth=False)

    def start_esscard_session(self, code: str) -> dict[str, Any]:
        """Open a session with a 电子社保卡 code read off the resident's phone: ``{session_id, person}``.

        Never retried: a code is single use, so a repeat after a lost answer would only be refused
        as used (the resident shows a fresh code instead). Refusals arrive as ``BackendRejected``
        with the gateway's code, those of ``common.esscard.REFUSALS``: ``esscard_code_unknown``
        (404), ``esscard_code_used`` (409), ``esscard_code_expired`` (410).
        """
        return self._json("POST", f"{API}/sessions/esscard", idempotent=False, json={"code": code})


def _rejected(resp: requests.Response) -> BackendRejected:
    code, zh, en = f"http_{resp.status_code}", "", ""
    try:
        err = resp.json().get("error", {})
        if isinstance(err, dict):
            code = str(err.get("code") or code)
            zh = str(err.get("message_zh") or "")
            en = str(err.get("message_en") or "")
    except (ValueError, AttributeError):
        pass
    logger.info("backend rejected request", extra={"status": resp.status_code, "code": code})
    return BackendRejected(resp.status_code, code, zh, en)


def pooled_session(connections: int, maxsize: int, headers: dict[str, str]) -> requests.Session:
    """A ``requests.Session`` with one connection pool per scheme and no urllib3 retries: our own
    retry loop decides what is safe to repeat, urllib3 must not retry behind our back."""
    import requests
    from requests.adapters import HTTPAdapter

    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=connections, pool_maxsize=maxsize, max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers.update(headers)
    return session
