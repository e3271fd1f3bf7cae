"""kiosk.backend.BackendClient against a real uvicorn gateway on 127.0.0.1 (and a scripted HTTP
server for the retry rules): typed errors, timeouts, idempotent retries only."""

from __future__ import annotations

import http.server
import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from common.card_auth import KEY_CARD_PRESENCE
from kiosk.backend import BackendClient
from kiosk.errors import BackendRejected, BackendTimeout, BackendUnavailable, FaceRefused
from server.embedded import EmbeddedServer, start_embedded_server
from tests.card_holder import card_proof, sign_in


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedServer]:
    server = start_embedded_server(tmp_path_factory.mktemp("backend"), persons=10, seed=21)
    yield server
    server.stop()


@pytest.fixture()
def client(gateway: EmbeddedServer) -> Iterator[BackendClient]:
    gateway.set_fault(None)
    with BackendClient(gateway.url, gateway.terminal_token, timeout=2.0, retries=2, backoff=0.01) as c:
        yield c
    gateway.set_fault(None)


def _person(gateway: EmbeddedServer, status: str = "normal") -> dict[str, Any]:
    return next(p for p in gateway.demo_people() if p["card_status"] == status)


def test_resident_journey(gateway: EmbeddedServer, client: BackendClient) -> None:
    assert client.health() is True
    p = _person(gateway)
    session = sign_in(client, p)
    sid = session["session_id"]
    assert session["person"]["name"] == p["name"]
    assert client.insurance(sid)["enrolments"]
    page = client.contributions(sid, from_period="2015-01", to_period="2016-12", page=1, page_size=10)
    assert page["page_size"] == 10 and page["total_items"] >= len(page["items"])
    assert isinstance(client.benefits(sid)["items"], list)
    assert client.cards(sid)["cards"][0]["is_current"]
    assert client.rights(sid, 2016, 2017)["from_year"] == 2016
    receipt = client.submit_application(
        sid, "contact_update", {"address": "江苏省昆山市前进路 1 号"}, idempotency_key="journey-app-1"
    )
    assert receipt["status"] == "completed"
    assert client.applications(sid)["items"][0]["number"] == receipt["number"]
    cert = client.issue_certificate(sid, "payment", idempotency_key="journey-key-1")
    assert client.issue_certificate(sid, "payment", idempotency_key="journey-key-1")["serial"] == cert["serial"]
    assert client.issue_certificate(sid, "insured")["serial"] != cert["serial"]  # fresh uuid4 key
    reprint = client.reprint_certificate(sid, cert["serial"])
    assert reprint["reprint"] is True and reprint["serial"] == cert["serial"]
    verified = client.verify_certificate(cert["serial"], cert["verification_code"])
    assert verified["genuine"] is True
    assert client.verify_certificate(cert["serial"], "AAAAAAAA")["genuine"] is False
    client.end_session(sid)
    with pytest.raises(BackendRejected) as exc:
        client.insurance(sid)
    assert exc.value.status_code == 404 and exc.value.code == "session_not_found"


def test_rejections_carry_server_messages(gateway: EmbeddedServer, client: BackendClient) -> None:
    lost = _person(gateway, "lost")
    with pytest.raises(BackendRejected) as exc:
        sign_in(client, lost)
    assert exc.value.status_code == 409 and exc.value.code == "card_lost"
    assert "挂失" in exc.value.message_zh and exc.value.message_en
    assert exc.value.message_key == "backend.rejected"
    p = _person(gateway)
    sid = sign_in(client, p)["session_id"]
    with pytest.raises(BackendRejected) as exc:
        client.contributions(sid, from_period="2099-01")
    assert exc.value.code == "period_in_future"
    unauth = BackendClient(gateway.url, "not-a-token", timeout=2.0)
    with pytest.raises(BackendRejected) as exc:
        unauth.insurance(sid)
    assert exc.value.status_code == 401
    with pytest.raises(BackendRejected) as exc:
        unauth.enroll("DEMO-0001", "WRONGCODE1")
    assert exc.value.code == "enrolment_refused"


def test_server_down_is_unavailable(gateway: EmbeddedServer, client: BackendClient) -> None:
    gateway.set_fault("down")
    assert client.health() is False
    with pytest.raises(BackendUnavailable) as exc:
        client.verify_certificate("CB202601010000000000", "AAAAAAAA")
    assert exc.value.message_key == "backend.unavailable"


def test_slow_server_times_out(gateway: EmbeddedServer) -> None:
    gateway.set_fault("slow", slow_seconds=1.0)
    try:
        fast = BackendClient(gateway.url, gateway.terminal_token, timeout=0.3, retries=1, backoff=0.01)
        with pytest.raises(BackendTimeout) as exc:
            fast.verify_certificate("CB202601010000000000", "AAAAAAAA")
        assert exc.value.message_key == "backend.timeout"
    finally:
        gateway.set_fault(None, slow_seconds=8.0)


def test_connection_refused_is_unavailable() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = BackendClient(f"http://127.0.0.1:{port}", "t", timeout=1.0, retries=1, backoff=0.01)
    assert client.health() is False
    with pytest.raises(BackendUnavailable):
        client.insurance("0" * 32)


class _Scripted(http.server.BaseHTTPRequestHandler):
    """Answers 500 to everything and counts the requests per method."""

    counts: dict[str, int] = {}

    def _answer(self) -> None:
        type(self).counts[self.command] = type(self).counts.get(self.command, 0) + 1
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        body = json.dumps({"error": {"code": "boom", "message_zh": "错误", "message_en": "boom"}}).encode()
        self.send_response(500)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_DELETE = _answer

    def log_message(self, *_args: Any) -> None:
        pass


def test_only_idempotent_calls_are_retried() -> None:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Scripted)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        _Scripted.counts = {}
        client = BackendClient(f"http://127.0.0.1:{httpd.server_address[1]}", "t", timeout=2.0, retries=2, backoff=0.01)
        with pytest.raises(BackendUnavailable):
            client.insurance("0" * 32)
        assert _Scripted.counts == {"GET": 3}
        with pytest.raises(BackendUnavailable):
            client.session_challenge()
        with pytest.raises(BackendUnavailable):
            client.start_session("110105199001011234", "A12345678", bytes(16), bytes(16))
        with pytest.raises(BackendUnavailable):
            client.reprint_certificate("0" * 32, "CB202601010000000000")
        assert _Scripted.counts["POST"] == 3  # one attempt each
        with pytest.raises(BackendUnavailable):
            client.issue_certificate("0" * 32, "payment", idempotency_key="retry-key-1")
        assert _Scripted.counts["POST"] == 6  # the keyed POST is safe to repeat
        with pytest.raises(BackendUnavailable):
            client.end_session("0" * 32)
        assert _Scripted.counts["DELETE"] == 3
        with pytest.raises(BackendUnavailable):
            client.start_face_session("110105199001011234", "A12345678", [b"\xff\xd8"], bytes(16), bytes(16))
        assert _Scripted.counts["POST"] == 7  # face verification counts failures: never repeated
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_nothing_written_to_disk(gateway: EmbeddedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with BackendClient(gateway.url, gateway.terminal_token) as client:
        p = _person(gateway)
        sid = sign_in(client, p)["session_id"]
        client.insurance(sid)
        client.end_session(sid)
    assert list(tmp_path.iterdir()) == []


def _jpeg_frames(image: Any) -> list[bytes]:
    import cv2

    from drivers.camera.synth import FaceSynth, Pose

    synth = FaceSynth(image)
    return [cv2.imencode(".jpg", synth.render(Pose(yaw_deg=y)))[1].tobytes() for y in (0.0, 3.0)]


def _face(
    client: BackendClient,
    person: dict[str, Any],
    frames: list[bytes],
    proof_from: BackendClient | None = None,
    **kw: Any,
) -> dict[str, Any]:
    """A face session start as the kiosk makes it: a challenge (from ``proof_from``, default the same
    client) answered by the person's card with key 01, then the frames."""
    challenge = (proof_from or client).session_challenge()
    answer = card_proof(person, challenge, KEY_CARD_PRESENCE)
    return client.start_face_session(person["ssn"], person["card_number"], frames, challenge, answer, **kw)


def test_face_session(gateway: EmbeddedServer, client: BackendClient) -> None:
    from drivers.camera.synth import astronaut_bgr, lfw_face_bgr

    people = gateway.demo_people()
    face_person = people[0]
    assert face_person["has_photo"]
    session = _face(client, face_person, _jpeg_frames(astronaut_bgr()))
    assert session["person"]["name"] == face_person["name"]
    assert session["face"]["score"] >= 0.45
    client.end_session(session["session_id"])
    with pytest.raises(BackendRejected) as mismatch:
        _face(client, face_person, _jpeg_frames(lfw_face_bgr()))
    assert mismatch.value.status_code == 403 and mismatch.value.code == "face_mismatch"
    assert mismatch.value.message_zh == "人脸比对不一致"
    no_photo = next(p for p in people[1:] if p["card_status"] == "normal")
    with pytest.raises(BackendRejected) as refused:
        _face(client, no_photo, [b"not a jpeg"])
    assert refused.value.status_code == 409 and refused.value.code == "no_enrolled_photo"
    with pytest.raises(BackendRejected) as unusable:
        _face(client, face_person, [b"not a jpeg"])
    assert unusable.value.status_code == 422 and unusable.value.code == "no_face_in_capture"


def test_face_session_has_a_longer_timeout(gateway: EmbeddedServer, client: BackendClient) -> None:
    p = gateway.demo_people()[0]
    gateway.set_fault("slow", 1.0)
    try:
        # 0.5 s is the client's usual timeout; face verification waits up to 15 s by default.
        with BackendClient(gateway.url, gateway.terminal_token, timeout=0.5, retries=0) as slow:
            with pytest.raises(BackendRejected) as exc:
                _face(slow, p, [b"not a jpeg"], proof_from=client)
            assert exc.value.code == "no_face_in_capture"
            with pytest.raises(BackendTimeout):
                _face(slow, p, [b"not a jpeg"], proof_from=client, timeout=0.3)
    finally:
        gateway.set_fault(None)


def test_a_refused_card_proof_is_not_a_face_refusal(gateway: EmbeddedServer, client: BackendClient) -> None:
    """card_not_verified (403) ends the session at the kiosk: only the face codes send it back to the PIN."""
    p = gateway.demo_people()[0]
    challenge = client.session_challenge()
    with pytest.raises(BackendRejected) as exc:
        client.start_face_session(p["ssn"], p["card_number"], [b"not a jpeg"], challenge, bytes(16))
    assert exc.value.code == "card_not_verified" and not isinstance(exc.value, FaceRefused)
    with pytest.raises(FaceRefused):
        _face(client, p, [b"not a jpeg"])
