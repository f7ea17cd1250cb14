"""Photos: import (checked, oriented, metadata stripped), snapshots of analysis, reading.

Order of work in :func:`add_photo`: the cleaned bytes are written to the store
first (atomically), then the row is added in the caller's transaction. A crash
in between leaves at most an unreferenced file, never a row without its file.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from acuface.clinic import models as m
from acuface.clinic.access import Action, authorize
from acuface.clinic.paging import Page, PageRequest, paginate
from acuface.clinic.photostore import (
    LocalPhotoStore,
    PhotoStore,
    PreparedPhoto,
    get_photo_store,
    prepare_photo,
    sha256_hex,
)
from acuface.clinic.schemas import (
    Actor,
    MeasuredValue,
    PhotoAnalysis,
    PhotoCheckDTO,
    PhotoDTO,
    PhotoView,
    StoreCheckDTO,
)
from acuface.clinic.services._common import (
    audit,
    author,
    check_link,
    client_record,
    list_client_rows,
    live_client,
    read_client_record,
)
from acuface.errors import AcufaceError, NoFaceFound
from acuface.locator import LOCATOR_VERSION, locate
from acuface.locator.snapshot import FaceMapSnapshot
from acuface.skin import analyse as analyse_skin
from acuface.skin.report import REGION_METRIC_UNITS
from acuface.skin.snapshot import SkinSnapshot

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

#: Head turned or tilted more than this (degrees) gets a warning for comparison photos.
POSE_WARN_DEG = 12.0


def analyse_rgb(rgb: NDArray[np.uint8]) -> PhotoAnalysis:
    """Run the locator and the skin analysis on one photo.

    Analysis problems never stop a photo from being stored: they become quality
    flags, because losing a client's photo to an analysis bug would be worse than
    storing it unanalysed.
    """
    flags: list[str] = []
    try:
        # The stored face map is what plans and charting are drawn on: spend the
        # second model run that makes it mirror-consistent (docs/points.md).
        face_map = locate(rgb, symmetric=True)
    except AcufaceError as exc:
        flags.append("no_face" if isinstance(exc, NoFaceFound) else exc.type_name)
        return PhotoAnalysis(quality_flags=flags, quality_ok=False)
    except Exception as exc:  # noqa: BLE001 - see docstring
        return PhotoAnalysis(quality_flags=[f"locator_failed:{type(exc).__name__}"])
    primary = face_map.primary
    located = PhotoAnalysis(
        face_map=FaceMapSnapshot.of(face_map),
        face_map_version=LOCATOR_VERSION,
        yaw_deg=float(primary.pose.yaw_deg),
        pitch_deg=float(primary.pose.pitch_deg),
        roll_deg=float(primary.pose.roll_deg),
    )
    flags.extend(str(w) for w in face_map.warnings)
    if len(face_map.faces) > 1:
        flags.append("multiple_faces")
    try:
        report = analyse_skin(rgb, primary.landmarks)
    except Exception as exc:  # noqa: BLE001 - see docstring
        flags.append(f"skin_analysis_failed:{type(exc).__name__}")
        return located.model_copy(update={"quality_flags": flags})
    flags.extend(str(i) for i in report.quality.issues)
    measurements = [
        MeasuredValue(
            region=region,
            metric=metric,
            value=float(value),
            unit=REGION_METRIC_UNITS.get(metric),
            method_version=report.method_version,
        )
        for region, metrics in report.regions.items()
        for metric, value in metrics.items()
        if math.isfinite(value)
    ]
    return located.model_copy(
        update={
            "quality_flags": flags,
            "quality_ok": report.quality.ok,
            "skin_report": SkinSnapshot.of(report),
            "skin_method_version": report.method_version,
            "measurements": measurements,
        }
    )


def pose_warnings(yaw_deg: float, pitch_deg: float, roll_deg: float) -> list[str]:
    """Warnings of the photo check for a head pose (turn, up/down tilt, sideways tilt).

    The same rules serve the photo check before saving and the live camera view.

    Parameters
    ----------
    yaw_deg, pitch_deg, roll_deg : float
        Anatomical head pose (see :class:`acuface.locator.Pose`).

    Returns
    -------
    list of str
        Empty when the head faces the camera within ``POSE_WARN_DEG``.
    """
    warnings: list[str] = []
    for label, value in (("turned", yaw_deg), ("tilted up/down", pitch_deg)):
        if abs(value) > POSE_WARN_DEG:
            warnings.append(
                f"The head is {label} by {abs(value):.0f} degrees; for before/after comparison "
                f"face the camera straight (within {POSE_WARN_DEG:.0f} degrees)."
            )
    if abs(roll_deg) > POSE_WARN_DEG:
        warnings.append(
            f"The head is tilted sideways by {abs(roll_deg):.0f} degrees; keep it level."
        )
    return warnings


def check_photo(
    data: bytes, *, max_pixels: int | None = None, max_bytes: int | None = None
) -> PhotoCheckDTO:
    """Check a photo before saving it: decodable, one face, pose (nothing is stored).

    Parameters
    ----------
    data : bytes
        The uploaded file.
    max_pixels, max_bytes : int, optional, keyword-only
        Limits (default from the settings), see :func:`prepare_photo`.

    Raises the image errors of :func:`acuface.locator.image.load_image`.
    """
    prepared = prepare_photo(data, max_pixels=max_pixels, max_bytes=max_bytes)
    warnings: list[str] = []
    try:
        face_map = locate(prepared.pixels)
    except AcufaceError as exc:
        return PhotoCheckDTO(
            width=prepared.width,
            height=prepared.height,
            face_found=False,
            ok=False,
            warnings=[exc.message],
        )
    pose = face_map.primary.pose
    warnings.extend(pose_warnings(pose.yaw_deg, pose.pitch_deg, pose.roll_deg))
    if len(face_map.faces) > 1:
        warnings.append("More than one face is in the photo; crop to the client.")
    warnings.extend(str(w) for w in face_map.warnings)
    return PhotoCheckDTO(
        width=prepared.width,
        height=prepared.height,
        face_found=True,
        yaw_deg=float(pose.yaw_deg),
        pitch_deg=float(pose.pitch_deg),
        roll_deg=float(pose.roll_deg),
        ok=not warnings,
        warnings=warnings,
    )


def check_photo_target(
    *, session: Session, actor: Actor, client_id: int, session_id: int | None = None
) -> None:
    """Check that *actor* may add a photo to this client (and session) before any work.

    Reads only (nothing is written or audited), so the web app can run it before
    analysing an upload without holding a write transaction.

    Raises
    ------
    PermissionDenied, NotFound, InvalidRecord
        Not a clinical role; no such live client or session; a session of another client.
    """
    _check_target(session, actor, client_id, session_id)


def _check_target(session: Session, actor: Actor, client_id: int, session_id: int | None) -> None:
    authorize(actor, Action.ADD_PHOTOS)
    live_client(session, client_id)
    check_link(
        session,
        model=m.TreatmentSession,
        record_id=session_id,
        client_id=client_id,
        label="session",
    )


def add_photo(
    *,
    session: Session,
    actor: Actor,
    client_id: int,
    data: bytes,
    view: PhotoView = "front",
    captured_at: datetime | None = None,
    session_id: int | None = None,
    note: str | None = None,
    analyse: bool = True,
    store: PhotoStore | None = None,
) -> PhotoDTO:
    """Import a photo for a client.

    The bytes are checked (type by content, size, bomb guard), oriented, re-encoded
    without EXIF/GPS and stored by hash; with ``analyse`` the locator's FaceMap and
    the skin report are stored as snapshots and skin metrics as measurements.
    """
    _check_target(session, actor, client_id, session_id)  # before any expensive work
    prepared = prepare_photo(data)
    analysis = analyse_rgb(prepared.pixels) if analyse else None
    return add_prepared_photo(
        session=session,
        actor=actor,
        client_id=client_id,
        prepared=prepared,
        analysis=analysis,
        view=view,
        captured_at=captured_at,
        session_id=session_id,
        note=note,
        store=store,
    )


def add_prepared_photo(
    *,
    session: Session,
    actor: Actor,
    client_id: int,
    prepared: PreparedPhoto,
    analysis: PhotoAnalysis | None,
    view: PhotoView = "front",
    captured_at: datetime | None = None,
    session_id: int | None = None,
    note: str | None = None,
    store: PhotoStore | None = None,
) -> PhotoDTO:
    """Store a photo already checked by ``prepare_photo`` (and maybe analysed).

    For batch imports that prepare and analyse photos in worker processes;
    ``analysis`` is what :func:`analyse_rgb` returns, or ``None`` (not analysed).
    """
    _check_target(session, actor, client_id, session_id)
    analysis = analysis or PhotoAnalysis()
    store = store or get_photo_store()
    digest = store.put(prepared.jpeg)
    when = captured_at or prepared.captured_at or m.utcnow()
    row = m.Photo(
        client_id=client_id,
        session_id=session_id,
        sha256=digest,
        content_type="image/jpeg",
        width=prepared.width,
        height=prepared.height,
        byte_size=len(prepared.jpeg),
        captured_at=when,
        view=view,
        note=note,
        created_by=author(actor),
        quality_flags=list(analysis.quality_flags),
        quality_ok=analysis.quality_ok,
        face_map=None if analysis.face_map is None else analysis.face_map.to_json(),
        face_map_version=analysis.face_map_version,
        yaw_deg=analysis.yaw_deg,
        pitch_deg=analysis.pitch_deg,
        roll_deg=analysis.roll_deg,
        skin_report=None if analysis.skin_report is None else analysis.skin_report.to_json(),
        skin_method_version=analysis.skin_method_version,
    )
    session.add(row)
    session.flush()
    for measured in analysis.measurements:
        session.add(
            m.Measurement(
                client_id=client_id,
                photo_id=row.id,
                session_id=session_id,
                metric=measured.metric,
                region=measured.region,
                value=measured.value,
                unit=measured.unit,
                method_version=measured.method_version,
                measured_at=when,
            )
        )
    audit(
        session,
        actor,
        "photo.create",
        "photo",
        row.id,
        client_id=client_id,
        detail={"measurements": len(analysis.measurements), "analysed": analysis.analysed},
    )
    session.flush()
    return PhotoDTO.model_validate(row)


def get_photo(*, session: Session, actor: Actor, photo_id: int) -> PhotoDTO:
    """Return a photo's metadata and snapshots."""
    row = read_client_record(
        session,
        actor,
        model=m.Photo,
        record_id=photo_id,
        record_type="photo",
        action=Action.READ_PHOTOS,
    )
    return PhotoDTO.model_validate(row)


def read_photo_bytes(
    *, session: Session, actor: Actor, photo_id: int, store: PhotoStore | None = None
) -> bytes:
    """Return the stored JPEG bytes of a photo."""
    authorize(actor, Action.READ_PHOTOS)
    row = client_record(session, m.Photo, photo_id, "photo")
    data = (store or get_photo_store()).get(row.sha256)
    audit(session, actor, "photo.read_bytes", "photo", row.id, client_id=row.client_id)
    return data


def list_photos(*, session: Session, actor: Actor, client_id: int) -> list[PhotoDTO]:
    """Return a client's photos, newest first."""
    rows = list_client_rows(
        session,
        actor,
        model=m.Photo,
        client_id=client_id,
        order_by=(m.Photo.captured_at.desc(), m.Photo.id.desc()),
        record_type="photo",
        action=Action.READ_PHOTOS,
    )
    return [PhotoDTO.model_validate(r) for r in rows]


def page_photos(
    *, session: Session, actor: Actor, client_id: int, page: PageRequest | None = None
) -> Page[PhotoDTO]:
    """Return one page of a client's photos, newest first."""
    authorize(actor, Action.READ_PHOTOS)
    live_client(session, client_id)
    query = (
        select(m.Photo)
        .where(m.Photo.client_id == client_id)
        .order_by(m.Photo.captured_at.desc(), m.Photo.id.desc())
    )
    result = paginate(session, query, page or PageRequest(), PhotoDTO.model_validate)
    audit(
        session,
        actor,
        "photo.list",
        "photo",
        client_id=client_id,
        detail={"count": len(result.items), "page": result.page},
    )
    return result


def check_photo_store(
    *,
    session: Session,
    actor: Actor,
    store: LocalPhotoStore | None = None,
    clean: bool = False,
    grace_s: float = 3600.0,
) -> StoreCheckDTO:
    """Compare the photo rows with the files (admin): missing files, orphans, temp files.

    A crash between writing a photo file and committing its row leaves an orphan
    file; an interrupted write leaves a temp file. With ``clean`` both are removed
    when older than ``grace_s`` seconds, so files of uploads in progress survive.
    Missing or corrupt files are only reported (restore them from a backup).
    """
    authorize(actor, Action.CHECK_PHOTO_STORE)
    store = store or get_photo_store()
    referenced = set(session.scalars(select(m.Photo.sha256)))
    on_disk = set(store.iter_hashes())
    corrupt = sorted(h for h in referenced & on_disk if sha256_hex(store.get(h)) != h)
    orphans = sorted(on_disk - referenced)
    temps = store.temp_files(older_than_s=grace_s if clean else 0.0)
    removed = 0
    if clean:
        for digest in orphans:
            if store.age_s(digest) >= grace_s and store.delete(digest):
                removed += 1
        for tmp in temps:
            tmp.unlink(missing_ok=True)
            removed += 1
    audit(session, actor, "photo.check_store", "photo", detail={"removed": removed})
    return StoreCheckDTO(
        photo_rows=len(referenced),
        files=len(on_disk),
        missing=sorted(referenced - on_disk),
        corrupt=corrupt,
        orphans=orphans,
        temp_files=len(temps),
        removed=removed,
    )
