"""Photo import: EXIF/GPS stripped, orientation applied, content-addressed, audited."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sqlalchemy.orm import Session

from acuface.clinic import services as svc
from acuface.clinic.photostore import LocalPhotoStore, sha256_hex
from acuface.clinic.schemas import Actor
from acuface.errors import NotAnImage, PermissionDenied
from consenting import give_consents


def _phone_photo(portrait: Path) -> tuple[bytes, np.ndarray]:
    """A portrait saved the way a phone does: pixels sideways, EXIF says rotate, GPS inside."""
    upright = Image.open(portrait).convert("RGB")
    sideways = upright.transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[274] = 6  # Orientation: rotate 90 CW to display
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 30.0), 3: "E", 4: (2.0, 17.0, 40.0)}  # GPS
    exif[0x8769] = {36867: "2025:06:01 10:30:00", 36881: "+02:00"}
    buf = io.BytesIO()
    sideways.save(buf, format="JPEG", quality=95, exif=exif)
    return buf.getvalue(), np.asarray(upright, dtype=np.int16)


@pytest.mark.usefixtures("client_consents")
def test_exif_gps_stripped_orientation_applied(
    session: Session,
    pat: Actor,
    client_id: int,
    store: LocalPhotoStore,
    portrait_paths: list[Path],
) -> None:
    raw, upright = _phone_photo(portrait_paths[0])
    original = Image.open(io.BytesIO(raw)).getexif()
    assert original.get_ifd(0x8825), "test input must carry GPS"
    photo = svc.add_photo(
        session=session, actor=pat, client_id=client_id, data=raw, analyse=False, store=store
    )
    session.commit()
    stored = store.get(photo.sha256)
    assert sha256_hex(stored) == photo.sha256 and photo.byte_size == len(stored)
    img = Image.open(io.BytesIO(stored))
    assert img.format == "JPEG"
    assert len(img.getexif()) == 0 and "exif" not in img.info
    assert b"GPS" not in stored and b"Exif" not in stored
    # Orientation applied: the stored photo is upright, like the original portrait.
    assert (photo.width, photo.height) == (upright.shape[1], upright.shape[0])
    pixels = np.asarray(img.convert("RGB"), dtype=np.int16)
    assert np.abs(pixels - upright).mean() < 4.0
    # Capture time from EXIF DateTimeOriginal with its offset, stored in UTC.
    assert photo.captured_at is not None
    assert photo.captured_at.isoformat() == "2025-06-01T08:30:00+00:00"
    # Reading the bytes goes through the service and is audited.
    assert (
        svc.read_photo_bytes(session=session, actor=pat, photo_id=photo.id, store=store) == stored
    )
    session.commit()
    actions = [
        e.action for e in svc.list_audit(session=session, actor=Actor.system(), client_id=client_id)
    ]
    assert "photo.create" in actions and "photo.read_bytes" in actions


@pytest.mark.usefixtures("client_consents")
def test_same_photo_twice_is_stored_once(
    session: Session,
    pat: Actor,
    client_id: int,
    store: LocalPhotoStore,
    portrait_paths: list[Path],
) -> None:
    data = portrait_paths[1].read_bytes()
    a = svc.add_photo(
        session=session, actor=pat, client_id=client_id, data=data, analyse=False, store=store
    )
    b = svc.add_photo(
        session=session, actor=pat, client_id=client_id, data=data, analyse=False, store=store
    )
    assert a.id != b.id and a.sha256 == b.sha256
    assert list(store.iter_hashes()) == [a.sha256]


@pytest.mark.usefixtures("client_consents")
def test_not_an_image_is_refused_and_nothing_stored(
    session: Session, pat: Actor, client_id: int, store: LocalPhotoStore
) -> None:
    with pytest.raises(NotAnImage):
        svc.add_photo(
            session=session,
            actor=pat,
            client_id=client_id,
            data=b"%PDF-1.7 not a photo",
            analyse=False,
            store=store,
        )
    assert list(store.iter_hashes()) == []
    assert svc.list_photos(session=session, actor=pat, client_id=client_id) == []


@pytest.mark.usefixtures("client_consents")
def test_reception_cannot_see_photos(
    session: Session,
    rita: Actor,
    pat: Actor,
    client_id: int,
    store: LocalPhotoStore,
    portrait_paths: list[Path],
) -> None:
    p = svc.add_photo(
        session=session,
        actor=pat,
        client_id=client_id,
        data=portrait_paths[2].read_bytes(),
        analyse=False,
        store=store,
    )
    with pytest.raises(PermissionDenied):
        svc.read_photo_bytes(session=session, actor=rita, photo_id=p.id, store=store)


def test_analysis_snapshots_pose(sqlite_template: Path, tmp_path: Path, obama_path: Path) -> None:
    # The locator and skin analysis do not depend on the database: SQLite only.
    import shutil

    from acuface.clinic import db
    from acuface.clinic.schemas import ClientCreate

    pytest.importorskip("acuface.locator").locate  # noqa: B018
    shutil.copyfile(sqlite_template, tmp_path / "a.sqlite3")
    engine = db.make_engine(f"sqlite:///{tmp_path / 'a.sqlite3'}")
    store = LocalPhotoStore(tmp_path / "photos")
    actor = Actor.system(source="test")
    try:
        with db.session_scope(engine) as session:
            client_id = svc.create_client(
                session=session, actor=actor, data=ClientCreate(given_name="A", family_name="B")
            ).id
            give_consents(session, client_id, actor=actor)
            photo = svc.add_photo(
                session=session,
                actor=actor,
                client_id=client_id,
                data=obama_path.read_bytes(),
                store=store,
            )
            measurements = svc.list_measurements(session=session, actor=actor, client_id=client_id)
    finally:
        engine.dispose()
    assert photo.face_map is not None and photo.face_map.faces, photo.quality_flags
    import acuface.locator

    expected_version = getattr(acuface.locator, "LOCATOR_VERSION", None)
    assert photo.face_map_version == (expected_version or "acuface-0.1.0")
    # An official frontal portrait: the head faces the camera.
    assert photo.yaw_deg is not None and abs(photo.yaw_deg) < 15
    assert photo.roll_deg is not None and abs(photo.roll_deg) < 10
    if photo.skin_report is not None:
        assert measurements and all(m.photo_id == photo.id for m in measurements)
        assert {m.method_version for m in measurements} == {photo.skin_method_version}
        # Every measured number says its unit.
        assert all(m.unit for m in measurements), {m.metric for m in measurements if not m.unit}


def test_check_photo_warns_before_saving(obama_path: Path) -> None:
    pytest.importorskip("acuface.locator").locate  # noqa: B018
    good = svc.check_photo(obama_path.read_bytes())
    assert good.face_found and good.yaw_deg is not None and abs(good.yaw_deg) < 12
    blank = io.BytesIO()
    Image.new("RGB", (300, 300), (128, 128, 128)).save(blank, format="PNG")
    none = svc.check_photo(blank.getvalue())
    assert not none.face_found and not none.ok and none.warnings
    # A sideways face: the pose check says so before anything is stored.
    tilted = io.BytesIO()
    Image.open(obama_path).rotate(30, expand=True, fillcolor=(255, 255, 255)).save(
        tilted, format="JPEG"
    )
    warn = svc.check_photo(tilted.getvalue())
    assert warn.face_found and not warn.ok
    assert any("tilted" in w and "level" in w for w in warn.warnings), warn.warnings
