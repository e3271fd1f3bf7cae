"""The card-photo upload (server.card_photos) and the card forms' photo (rules_card), on SQLite and
PostgreSQL: a good photo is kept for this person and session and used once; a photo of another
person or session, one used already, a bad receipt number and a bad upload are refused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from sqlalchemy import select

from server.card_photos import MAX_PHOTO_BYTES, PHOTO_HEIGHT, PHOTO_WIDTH
from server.models import Card, Person
from tests.server.back_office import Office, Resident, office_gateway, refused

FACES = Path(__file__).resolve().parents[1] / "data" / "faces"


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def office(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Office]:
    yield from office_gateway(request, tmp_path_factory)


def _portrait(name: str = "fr_obama_1") -> np.ndarray:
    image = cv2.imread(str(FACES / f"{name}.jpg"))
    return cv2.resize(image, (PHOTO_WIDTH, PHOTO_HEIGHT), interpolation=cv2.INTER_AREA)


def _jpeg(image: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 90])
    assert ok
    return buf.tobytes()


def _upload(office: Office, sid: str, *photos: bytes) -> Any:
    files = [("photo", (f"p{i}.jpg", data, "image/jpeg")) for i, data in enumerate(photos)]
    return office.gw.client.post(f"/api/v1/sessions/{sid}/card-photos", files=files, headers=office.gw.headers())


def _holder(office: Office) -> Resident:
    """A resident who may apply for 换卡: a card in normal use, and none being made."""

    def making(r: Resident) -> bool:
        with office.gw.ctx.sessions() as db:
            person = db.scalar(select(Person.id).where(Person.ssn == r.ssn))
            stages = db.scalars(select(Card.production_stage).where(Card.person_id == person))
            return any(stage != "issued" for stage in stages)

    return office.find(lambda r: r.card is not None and r.card["card_status"] == "normal" and not making(r))


def test_upload_checks_the_photo(office: Office) -> None:
    sid = office.session(_holder(office))
    good = _jpeg(_portrait())
    answer = _upload(office, sid, good)
    assert answer.status_code == 201, answer.text
    assert len(answer.json()["photo_id"]) == 32
    refused(_upload(office, sid, good, good), "invalid_photo", 422)
    refused(_upload(office, sid, b"GIF89a not a jpeg"), "invalid_photo", 422)
    refused(_upload(office, sid, _jpeg(cv2.resize(_portrait(), (300, 400)))), "invalid_photo", 422)
    refused(_upload(office, sid, _jpeg(np.full((PHOTO_HEIGHT, PHOTO_WIDTH, 3), 230, np.uint8))), "photo_face", 422)
    two = np.hstack([_portrait(), _portrait("fr_alex_1")])
    refused(_upload(office, sid, _jpeg(cv2.resize(two, (PHOTO_WIDTH, PHOTO_HEIGHT)))), "photo_face", 422)
    assert _upload(office, sid, good + bytes(MAX_PHOTO_BYTES)).status_code == 413
    other = office.gw.client.post(
        "/api/v1/sessions/" + "0" * 32 + "/card-photos",
        files=[("photo", ("p.jpg", good, "image/jpeg"))],
        headers=office.gw.headers(),
    )
    assert other.status_code == 404


def test_the_card_forms_take_a_photo_once_of_their_own(office: Office) -> None:
    holder, stranger = _holder(office), _holder(office)
    sid = office.session(holder)
    earlier = _upload(office, sid, _jpeg(_portrait())).json()["photo_id"]
    form = {"reason": "damaged", "photo": f"photo:{earlier}"}

    # Another session, even of the same person, and another person cannot use it (a terminal has
    # one session open: a new one ends the last).
    sid = office.session(holder)
    refused(office.submit(sid, "card_replacement", form), "photo_not_found", 422)
    refused(office.submit(office.session(stranger), "card_replacement", form), "photo_not_found", 422)
    sid = office.session(holder)
    refused(office.submit(sid, "card_replacement", {**form, "photo": "photo:" + "f" * 32}), "photo_not_found", 422)
    for bad in ("12345", "photo:xyz", "12345678901234567890123"):
        assert office.submit(sid, "card_replacement", {**form, "photo": bad}).status_code == 422
    assert office.submit(sid, "card_replacement", {"reason": "damaged"}).status_code == 422  # required

    photo_id = _upload(office, sid, _jpeg(_portrait())).json()["photo_id"]
    form = {"reason": "damaged", "photo": f"photo:{photo_id}"}
    accepted = office.submit(sid, "card_replacement", form)
    assert accepted.status_code == 201, accepted.text
    assert ["照片编号", photo_id] in accepted.json()["fields"]  # staff see which photo
    refused(office.submit(sid, "card_replacement", form), "photo_used")  # a second application

    studio = office.submit(office.session(stranger), "card_replacement", {"reason": "damaged", "photo": "2026120100"})
    assert studio.status_code == 201, studio.text
    assert ["照片回执号", "2026120100"] in studio.json()["fields"]
