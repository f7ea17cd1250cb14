"""The photo a plan or a session is drawn on: one set of rules, a default, a picker, hiding.

pat (practitioner) adds, checks, picks and hides photos; only ada (admin) purges a
hidden photo; rita (reception) sees no photos at all.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from acuface.clinic import models as m
from acuface.clinic import services as svc
from acuface.clinic.photostore import (
    EARLIEST_CAPTURE,
    LocalPhotoStore,
    plausible_capture_time,
    prepare_photo,
)
from acuface.clinic.schemas import Actor, PhotoDTO, SessionCreate
from acuface.errors import InvalidRecord, NotFound, PermissionDenied
from acuface.planner import Intake, make_plan

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


# --- the camera's date: kept only when plausible --------------------------------


@pytest.mark.parametrize(
    ("when", "kept"),
    [
        (datetime(2025, 6, 1, 8, 30, tzinfo=UTC), True),
        (datetime(1990, 1, 1, tzinfo=UTC), True),  # the earliest accepted
        (datetime(1989, 12, 31, 23, 59, tzinfo=UTC), False),  # an unset camera clock
        (datetime(1970, 1, 1, tzinfo=UTC), False),
        (NOW + timedelta(hours=14), True),  # EXIF local time east of UTC, read as UTC
        (NOW + timedelta(days=2), False),  # the future
        (datetime(2099, 1, 1, tzinfo=UTC), False),
    ],
)
def test_plausible_capture_time(when: datetime, kept: bool) -> None:
    assert plausible_capture_time(when, now=NOW) == (when if kept else None)
    assert plausible_capture_time(None, now=NOW) is None
    assert EARLIEST_CAPTURE.year == 1990


def _with_exif_date(path: Path, stamp: str) -> bytes:
    exif = Image.Exif()
    exif[0x8769] = {36867: stamp}  # DateTimeOriginal
    buf = io.BytesIO()
    Image.open(path).convert("RGB").save(buf, format="JPEG", quality=95, exif=exif)
    return buf.getvalue()


def test_exif_date_read_before_stripping_and_only_if_plausible(portrait_paths: list[Path]) -> None:
    kept = prepare_photo(_with_exif_date(portrait_paths[0], "2024:03:05 10:00:00"))
    assert kept.captured_at == datetime(2024, 3, 5, 10, 0, tzinfo=UTC)
    assert b"Exif" not in kept.jpeg  # the date survives, the metadata does not
    assert (
        prepare_photo(_with_exif_date(portrait_paths[0], "1980:01:01 00:00:00")).captured_at is None
    )
    assert (
        prepare_photo(_with_exif_date(portrait_paths[0], "2091:01:01 00:00:00")).captured_at is None
    )


# --- the default photo (pure) --------------------------------------------------


def _dto(
    pid: int,
    *,
    added: date,
    view: str = "front",
    quality: bool | None = True,
    in_frame: bool | None = True,
    located: bool = True,
    hidden: bool = False,
    visit: date | None = None,
) -> PhotoDTO:
    face_map: dict[str, Any] | None = None
    if located:
        face_map = {
            "image_wh": [100, 100],
            "faces": [
                {
                    "pose": {"yaw": 0, "pitch": 0, "roll": 0},
                    "mm_per_px": 0.2,
                    "cun_mm": 20.0,
                    "points": [],
                }
            ],
            "schema_version": 1,
        }
    at = datetime.combine(added, datetime.min.time(), tzinfo=UTC)
    return PhotoDTO.model_validate(
        {
            "id": pid,
            "client_id": 1,
            "session_id": None,
            "sha256": "0" * 64,
            "content_type": "image/jpeg",
            "width": 100,
            "height": 100,
            "byte_size": 1,
            "captured_at": None,
            "added_at": at,
            "visit_date": visit,
            "view": view,
            "yaw_deg": 0.0,
            "pitch_deg": 0.0,
            "roll_deg": 0.0,
            "quality_ok": quality,
            "quality_flags": [],
            "face_in_frame": in_frame,
            "face_map": face_map,
            "face_map_version": "1",
            "skin_report": None,
            "skin_method_version": None,
            "note": None,
            "hidden_at": at if hidden else None,
            "created_at": at,
            "created_by": "pat",
        }
    )


def test_default_is_the_newest_front_photo_that_passed_with_the_face_in_frame() -> None:
    d = date(2026, 11, 1)
    good_old = _dto(1, added=d)
    cut_newest = _dto(2, added=d + timedelta(days=9), quality=False, in_frame=False)
    hidden_newer = _dto(3, added=d + timedelta(days=8), hidden=True)
    side_newer = _dto(4, added=d + timedelta(days=7), view="left_oblique")
    unlocated = _dto(5, added=d + timedelta(days=6), located=False, in_frame=None)
    notes_newer = _dto(6, added=d + timedelta(days=5), quality=False)
    good_new = _dto(7, added=d + timedelta(days=3))
    photos = [good_old, cut_newest, hidden_newer, side_newer, unlocated, notes_newer, good_new]
    chosen, why = svc.default_photo(photos)
    assert chosen is good_new and "passed the quality checks" in why
    # Without a photo that passed: the newest front one with the face in frame.
    chosen, why = svc.default_photo(
        [good_old.model_copy(update={"quality_ok": False}), notes_newer, cut_newest]
    )
    assert chosen is notes_newer and "quality notes" in why
    # Only a side view in frame: that one, said so.
    chosen, why = svc.default_photo([side_newer, cut_newest])
    assert chosen is side_newer and "no front photo" in why
    # Only a cut-off face: nothing by default (the practitioner may still pick it).
    chosen, why = svc.default_photo([cut_newest, hidden_newer])
    assert chosen is None and "pick one" in why


def test_default_orders_by_visit_then_added_date_not_the_camera() -> None:
    # Added later but belonging to an earlier visit: the visit date counts.
    late_upload = _dto(1, added=date(2026, 11, 20), visit=date(2026, 10, 1))
    recent = _dto(2, added=date(2026, 11, 10))
    assert svc.default_photo([late_upload, recent])[0] is recent


# --- the service: same rules before and after saving, picker, hiding -------------


def _cropped(obama_path: Path) -> bytes:
    """The portrait cut through the face: part of the client's left cheek is off the edge."""
    img = Image.open(obama_path).convert("RGB")
    w, h = img.size
    buf = io.BytesIO()
    img.crop((0, 0, int(w * 0.6), h)).save(buf, format="JPEG", quality=92)
    return buf.getvalue()


@pytest.fixture
def plan_and_session(session: Session, pat: Actor, client_id: int) -> tuple[int, int]:
    plan = svc.save_plan(
        session=session,
        actor=pat,
        client_id=client_id,
        plan=make_plan(Intake(concerns=["jaw_tension"], age=46)),
    )
    visit = svc.create_session(
        session=session,
        actor=pat,
        client_id=client_id,
        data=SessionCreate(session_date=date(2026, 11, 2), plan_id=plan.id),
    )
    session.commit()
    return plan.id, visit.id


@pytest.mark.usefixtures("client_consents")
def test_cut_off_face_flagged_before_saving_and_never_the_default(
    session: Session,
    pat: Actor,
    ada: Actor,
    rita: Actor,
    client_id: int,
    store: LocalPhotoStore,
    obama_path: Path,
    plan_and_session: tuple[int, int],
) -> None:
    plan_id, visit_id = plan_and_session
    cropped = _cropped(obama_path)
    # Before saving: the check says the face is cut off.
    check = svc.check_photo(cropped)
    assert check.face_found and check.face_in_frame is False and not check.ok
    assert any("outside the photo" in w for w in check.warnings), check.warnings
    whole = svc.check_photo(obama_path.read_bytes())
    assert whole.face_in_frame is True
    good = svc.add_photo(
        session=session,
        actor=pat,
        client_id=client_id,
        data=obama_path.read_bytes(),
        store=store,
    )
    cut = svc.add_photo(
        session=session,
        actor=pat,
        client_id=client_id,
        data=cropped,
        store=store,
    )
    session.commit()
    # After saving: the same verdict and the same sentences.
    assert cut.face_in_frame is False and cut.quality_ok is False
    assert cut.quality_flags == check.warnings
    assert good.face_in_frame is True
    # The newer, cut-off photo is not the one the plan or the session uses.
    for kw in ({"plan_id": plan_id}, {"session_id": visit_id}, {}):
        choice = svc.photo_for(session=session, actor=pat, client_id=client_id, **kw)
        assert choice.photo is not None and choice.photo.id == good.id and not choice.chosen
        assert {p.id for p in choice.candidates} == {good.id, cut.id}
    # A new, unsaved note may propose another photo (the picker before saving); one
    # that cannot be used falls back to the default and says so.
    proposed = svc.photo_for(
        session=session, actor=pat, client_id=client_id, proposed_photo_id=cut.id
    )
    assert proposed.chosen and proposed.photo is not None and proposed.photo.id == cut.id
    assert "when the note is saved" in proposed.reason
    bogus = svc.photo_for(
        session=session, actor=pat, client_id=client_id, proposed_photo_id=cut.id + 999
    )
    assert bogus.photo is not None and bogus.photo.id == good.id and not bogus.chosen
    assert "cannot be used" in bogus.reason
    # The practitioner may pick another photo for one plan; stored and audited.
    picked = svc.choose_photo(session=session, actor=pat, photo_id=cut.id, plan_id=plan_id)
    session.commit()
    assert picked.chosen and picked.photo is not None and picked.photo.id == cut.id
    assert "pat" in picked.reason
    again = svc.photo_for(session=session, actor=pat, client_id=client_id, plan_id=plan_id)
    assert again.photo is not None and again.photo.id == cut.id
    other = svc.photo_for(session=session, actor=pat, client_id=client_id, session_id=visit_id)
    assert other.photo is not None and other.photo.id == good.id  # the session keeps its own
    actions = set(session.scalars(select(m.AuditEntry.action)))
    assert "photo.choose" in actions
    with pytest.raises(PermissionDenied):
        svc.choose_photo(session=session, actor=rita, photo_id=good.id, plan_id=plan_id)
    # Hiding: reason needed, audited, gone from lists and from the plan (back to default).
    with pytest.raises(InvalidRecord, match="why"):
        svc.hide_photo(session=session, actor=pat, photo_id=cut.id, reason="  ")
    hidden = svc.hide_photo(session=session, actor=pat, photo_id=cut.id, reason="face cut off")
    session.commit()
    assert hidden.hidden and hidden.hidden_by == "pat"
    assert [p.id for p in svc.list_photos(session=session, actor=pat, client_id=client_id)] == [
        good.id
    ]
    listed = svc.list_photos(session=session, actor=pat, client_id=client_id, include_hidden=True)
    assert {p.id for p in listed} == {good.id, cut.id}
    back = svc.photo_for(session=session, actor=pat, client_id=client_id, plan_id=plan_id)
    assert back.photo is not None and back.photo.id == good.id and "hidden" in back.reason
    with pytest.raises(InvalidRecord, match="hidden"):
        svc.choose_photo(session=session, actor=pat, photo_id=cut.id, plan_id=plan_id)
    # Purging: admin only, hidden photos only; row, measurements, choice and file go.
    with pytest.raises(PermissionDenied):
        svc.purge_photo(session=session, actor=pat, photo_id=cut.id, store=store)
    with pytest.raises(InvalidRecord, match="hide it first"):
        svc.purge_photo(session=session, actor=ada, photo_id=good.id, store=store)
    assert store.exists(cut.sha256)
    svc.purge_photo(session=session, actor=ada, photo_id=cut.id, store=store)
    session.commit()
    assert not store.exists(cut.sha256) and store.exists(good.sha256)
    assert session.get(m.Photo, cut.id) is None
    assert not session.scalars(select(m.Measurement).where(m.Measurement.photo_id == cut.id)).all()
    assert not session.scalars(select(m.PhotoChoice).where(m.PhotoChoice.photo_id == cut.id)).all()
    assert "photo.hide" in set(session.scalars(select(m.AuditEntry.action)))
    assert "photo.purge" in set(session.scalars(select(m.AuditEntry.action)))
    with pytest.raises(NotFound):
        svc.get_photo(session=session, actor=pat, photo_id=cut.id)


@pytest.mark.usefixtures("client_consents")
def test_measurements_dated_by_the_visit_not_the_camera(
    session: Session,
    pat: Actor,
    client_id: int,
    store: LocalPhotoStore,
    obama_path: Path,
    plan_and_session: tuple[int, int],
) -> None:
    _, visit_id = plan_and_session
    # A camera whose clock says 2012 (plausible, so it is kept as the taken date).
    raw = _with_exif_date(obama_path, "2012:05:04 09:00:00")
    photo = svc.add_photo(
        session=session,
        actor=pat,
        client_id=client_id,
        data=raw,
        session_id=visit_id,
        store=store,
    )
    session.commit()
    assert photo.taken_at == datetime(2012, 5, 4, 9, 0, tzinfo=UTC)
    assert photo.visit_date == date(2026, 11, 2) and photo.compared_on == date(2026, 11, 2)
    assert photo.added_at.date() != date(2012, 5, 4)
    measured = svc.list_measurements(session=session, actor=pat, client_id=client_id)
    assert measured and {mv.measured_at.date() for mv in measured} == {date(2026, 11, 2)}
