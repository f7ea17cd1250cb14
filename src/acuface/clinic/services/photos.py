"""Photos: import (checked, oriented, metadata stripped), snapshots of analysis, reading.

Order of work in :func:`add_photo`: the cleaned bytes are written to the store
first (atomically), then the row is added in the caller's transaction. A crash
in between leaves at most an unreferenced file, never a row without its file.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime, time
from typing import TYPE_CHECKING

from sqlalchemy import delete, event, select
from sqlalchemy.orm import Session

from acuface.atlas import load_atlas
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
    PhotoChoiceDTO,
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
from acuface.clinic.services.consents import require_consent
from acuface.config import get_settings
from acuface.errors import AcufaceError, InvalidRecord, NotFound
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


def location_standard() -> str | None:
    """Return the location standard the clinic draws where standards differ (GV26, LI19).

    ``ACUFACE_LOCATION_STANDARD`` (``who2008``, the default, or ``gbt12346``), the
    same setting as ``acuface locate --standard``; every stored face map, preview
    and live view follows it, and each such point names its ``convention``.
    """
    return get_settings().location_standard


def face_in_frame(face_map: FaceMapSnapshot) -> tuple[bool, int]:
    """Whether the whole face is in the photo, judged from the located points.

    A face cut by the photo's edge still gets landmarks from Face Mesh, which
    continues the face beyond the edge; the facial points placed there fall
    outside the image. Scalp points (region ``head``, e.g. GV20 at the vertex) are
    not counted: a portrait may cut the top of the head and still show the face.

    Returns
    -------
    (bool, int)
        Whether every facial point of the primary face lies inside the image, and
        how many do not.
    """
    primary = face_map.primary
    if primary is None:
        return False, 0
    w, h = face_map.image_wh
    atlas = load_atlas()
    outside = 0
    for p in primary.points:
        point = atlas.get(p.code)
        if point is not None and point.region == "head":
            continue
        if not (0.0 <= p.x < w and 0.0 <= p.y < h):
            outside += 1
    return outside == 0, outside


def analyse_rgb(rgb: NDArray[np.uint8]) -> PhotoAnalysis:
    """Run the locator and the skin analysis on one photo and judge it.

    This is the one set of rules for a photo: the check before saving
    (:func:`check_photo`) and the analysis stored with it both come from here, so a
    face partly outside the photo is flagged before it is saved, not only after.

    Analysis problems never stop a photo from being stored: they become quality
    flags (sentences a practitioner can act on), because losing a client's photo
    to an analysis bug would be worse than storing it unanalysed.
    """
    flags: list[str] = []
    try:
        # The stored face map is what plans and charting are drawn on: spend the
        # second model run that makes it mirror-consistent (docs/points.md).
        face_map = locate(rgb, symmetric=True, standard=location_standard())
    except AcufaceError as exc:
        return PhotoAnalysis(quality_flags=[exc.message], quality_ok=False, face_in_frame=False)
    except Exception as exc:  # noqa: BLE001 - see docstring
        return PhotoAnalysis(
            quality_flags=[f"The face could not be located ({type(exc).__name__})."]
        )
    primary = face_map.primary
    snapshot = FaceMapSnapshot.of(face_map)
    in_frame, n_outside = face_in_frame(snapshot)
    located = PhotoAnalysis(
        face_map=snapshot,
        face_map_version=LOCATOR_VERSION,
        yaw_deg=float(primary.pose.yaw_deg),
        pitch_deg=float(primary.pose.pitch_deg),
        roll_deg=float(primary.pose.roll_deg),
    )
    if not in_frame:
        flags.append(
            f"Part of the face is outside the photo ({n_outside} facial points fall beyond "
            "its edge): frame the whole face with some space around it."
        )
    flags.extend(str(w) for w in face_map.warnings)
    if len(face_map.faces) > 1:
        flags.append("More than one face is in the photo; crop to the client.")
    try:
        report = analyse_skin(rgb, primary.landmarks)
    except Exception as exc:  # noqa: BLE001 - see docstring
        flags.append(f"The skin analysis failed ({type(exc).__name__}); no skin measurements.")
        return located.model_copy(update={"quality_flags": flags, "face_in_frame": in_frame})
    # The skin's framing check sees the measured face regions cut by the edge.
    in_frame = in_frame and "framing" not in report.quality.failed
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
            "quality_ok": report.quality.ok and in_frame,
            "face_in_frame": in_frame,
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
    """Check a photo before saving it, by the rules of the stored analysis (stores nothing).

    Runs :func:`analyse_rgb`, the same function whose result is stored with a
    saved photo, so the page warns about exactly what the stored photo would be
    flagged for (a face partly outside the photo, pose, light, sharpness ...).

    Parameters
    ----------
    data : bytes
        The uploaded file.
    max_pixels, max_bytes : int, optional, keyword-only
        Limits (default from the settings), see :func:`prepare_photo`.

    Raises the image errors of :func:`acuface.locator.image.load_image`.
    """
    prepared = prepare_photo(data, max_pixels=max_pixels, max_bytes=max_bytes)
    analysis = analyse_rgb(prepared.pixels)
    return PhotoCheckDTO(
        width=prepared.width,
        height=prepared.height,
        face_found=analysis.face_map is not None,
        face_in_frame=analysis.face_in_frame,
        quality_ok=analysis.quality_ok,
        yaw_deg=analysis.yaw_deg,
        pitch_deg=analysis.pitch_deg,
        roll_deg=analysis.roll_deg,
        ok=not analysis.quality_flags and analysis.face_map is not None,
        warnings=list(analysis.quality_flags),
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
    ConsentMissing
        The client has not given photography consent (or withdrew it).
    """
    _check_target(session, actor, client_id, session_id)


def _check_target(session: Session, actor: Actor, client_id: int, session_id: int | None) -> None:
    authorize(actor, Action.ADD_PHOTOS)
    live_client(session, client_id)
    require_consent(session, client_id, "photography")
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
    added_at: datetime | None = None,
    session_id: int | None = None,
    note: str | None = None,
    analyse: bool = True,
    store: PhotoStore | None = None,
) -> PhotoDTO:
    """Import a photo for a client.

    The bytes are checked (type by content, size, bomb guard), oriented, re-encoded
    without EXIF/GPS and stored by hash; with ``analyse`` the locator's FaceMap and
    the skin report are stored as snapshots and skin metrics as measurements.

    Two dates are kept: ``captured_at`` (when it was taken: as given, else the
    camera's EXIF date if plausible, else unknown) and ``added_at`` (when it joined
    the record: as given for imports of past visits, else now). Measurements are
    dated by the visit (``session_id``) or the added date, never the camera's clock.
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
        added_at=added_at,
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
    added_at: datetime | None = None,
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
    added = added_at or m.utcnow()
    visit = session.get(m.TreatmentSession, session_id) if session_id is not None else None
    # Measurements follow the visit (or the day the photo was added), so a camera
    # whose clock says 2012 cannot move them in the progress charts.
    measured_at = (
        datetime.combine(visit.session_date, visit.start_time or time(12, 0), tzinfo=UTC)
        if visit is not None
        else added
    )
    row = m.Photo(
        client_id=client_id,
        session_id=session_id,
        sha256=digest,
        content_type="image/jpeg",
        width=prepared.width,
        height=prepared.height,
        byte_size=len(prepared.jpeg),
        captured_at=captured_at or prepared.captured_at,
        added_at=added,
        view=view,
        note=note,
        created_by=author(actor),
        quality_flags=list(analysis.quality_flags),
        quality_ok=analysis.quality_ok,
        face_in_frame=analysis.face_in_frame,
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
                measured_at=measured_at,
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
    session.refresh(row)  # loads visit_date
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


def list_photos(
    *, session: Session, actor: Actor, client_id: int, include_hidden: bool = False
) -> list[PhotoDTO]:
    """Return a client's photos, newest first (by the date they were added).

    Hidden photos are left out unless ``include_hidden``.
    """
    rows = list_client_rows(
        session,
        actor,
        model=m.Photo,
        client_id=client_id,
        order_by=(m.Photo.added_at.desc(), m.Photo.id.desc()),
        record_type="photo",
        action=Action.READ_PHOTOS,
        where=() if include_hidden else (m.Photo.hidden_at.is_(None),),
    )
    return [PhotoDTO.model_validate(r) for r in rows]


def page_photos(
    *, session: Session, actor: Actor, client_id: int, page: PageRequest | None = None
) -> Page[PhotoDTO]:
    """Return one page of a client's photos, newest first (by the added date; not hidden)."""
    authorize(actor, Action.READ_PHOTOS)
    live_client(session, client_id)
    query = (
        select(m.Photo)
        .where(m.Photo.client_id == client_id, m.Photo.hidden_at.is_(None))
        .order_by(m.Photo.added_at.desc(), m.Photo.id.desc())
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


def hide_photo(*, session: Session, actor: Actor, photo_id: int, reason: str) -> PhotoDTO:
    """Hide a photo (a soft delete): it leaves lists, plans and progress, and stays on file.

    Its measurements stay too (they are part of the record); an admin can purge
    a hidden photo for good with :func:`purge_photo`.

    Raises
    ------
    PermissionDenied, NotFound
    InvalidRecord
        Without a reason.
    """
    authorize(actor, Action.HIDE_PHOTOS)
    row = client_record(session, m.Photo, photo_id, "photo")
    live_client(session, row.client_id)
    reason = reason.strip()
    if not reason:
        raise InvalidRecord("Say why the photo is hidden (e.g. face cut off, wrong client).")
    if row.hidden_at is None:
        row.hidden_at = m.utcnow()
        row.hidden_by = author(actor)
        row.hidden_reason = reason[:2000]
        audit(
            session,
            actor,
            "photo.hide",
            "photo",
            row.id,
            client_id=row.client_id,
            detail={"reason": row.hidden_reason},
        )
        session.flush()
    return PhotoDTO.model_validate(row)


def purge_photo(
    *, session: Session, actor: Actor, photo_id: int, store: PhotoStore | None = None
) -> None:
    """Delete a hidden photo for good (admin): its row, measurements, choices and file.

    Only hidden photos can be purged, so nothing disappears in one step. The file
    goes after the transaction commits, and only when no other photo row uses it.

    Raises
    ------
    PermissionDenied, NotFound
    InvalidRecord
        The photo is not hidden.
    """
    authorize(actor, Action.PURGE_PHOTOS)
    row = session.get(m.Photo, photo_id)
    if row is None:
        raise NotFound(f"No photo with id {photo_id}.")
    if row.hidden_at is None:
        raise InvalidRecord("Only a hidden photo can be purged: hide it first.")
    store = store or get_photo_store()
    digest, client_id = row.sha256, row.client_id
    session.execute(delete(m.PhotoChoice).where(m.PhotoChoice.photo_id == photo_id))
    n_measurements = session.execute(
        delete(m.Measurement).where(m.Measurement.photo_id == photo_id)
    ).rowcount  # type: ignore[attr-defined]
    session.delete(row)
    session.flush()
    still_used = session.scalar(select(m.Photo.id).where(m.Photo.sha256 == digest).limit(1))
    if still_used is None:

        def _remove_file(_session: Session) -> None:
            store.delete(digest)

        # Only once the deletion is committed: a failed commit keeps the row's file.
        event.listen(session, "after_commit", _remove_file, once=True)
    audit(
        session,
        actor,
        "photo.purge",
        "photo",
        photo_id,
        client_id=client_id,
        detail={"measurements": int(n_measurements or 0)},
    )


# --- the photo a plan or a session is drawn on ---------------------------------


def default_photo(photos: Sequence[PhotoDTO]) -> tuple[PhotoDTO | None, str]:
    """Choose the photo to draw a plan or a session on, when nobody picked one.

    The newest front photo that passed the quality checks with the whole face in
    frame; else the newest front photo with the whole face in frame (its quality
    notes, e.g. too small for skin measurement, do not matter for placing points);
    else the newest photo of any view with the whole face in frame. A photo whose
    face is cut by the edge, a hidden photo, or one without a located face is never
    the default: the practitioner can still pick it.

    Parameters
    ----------
    photos : sequence of PhotoDTO
        The client's photos, in any order.

    Returns
    -------
    (PhotoDTO or None, str)
        The photo and why it was chosen (words for the page).
    """
    usable = [p for p in photos if not p.hidden and p.located and p.face_in_frame]
    usable.sort(key=lambda p: (p.compared_on, p.added_at, p.id), reverse=True)
    tiers = (
        (
            lambda p: p.view == "front" and p.quality_ok is True,
            "the newest front photo that passed the quality checks",
        ),
        (
            lambda p: p.view == "front",
            "the newest front photo with the whole face in frame (it has quality notes)",
        ),
        (lambda p: True, "the newest photo with the whole face in frame (no front photo)"),
    )
    for accept, why in tiers:
        found = next((p for p in usable if accept(p)), None)
        if found is not None:
            return found, why
    return None, "no photo shows the whole face in frame; pick one or add a front photo"


def _choice_row(
    session: Session, *, plan_id: int | None, session_id: int | None
) -> m.PhotoChoice | None:
    if (plan_id is None) == (session_id is None):
        raise InvalidRecord("A photo is chosen for one plan or one session.")
    column = m.PhotoChoice.plan_id if plan_id is not None else m.PhotoChoice.session_id
    return session.scalar(select(m.PhotoChoice).where(column == (plan_id or session_id)))


def _owner_client(session: Session, *, plan_id: int | None, session_id: int | None) -> int:
    record: m.Plan | m.TreatmentSession | None
    if plan_id is not None:
        record = session.get(m.Plan, plan_id)
    else:
        record = session.get(m.TreatmentSession, session_id)
    if record is None:
        label = "plan" if plan_id is not None else "session"
        raise NotFound(f"No {label} with id {plan_id or session_id}.")
    return record.client_id


def photo_for(
    *,
    session: Session,
    actor: Actor,
    client_id: int,
    plan_id: int | None = None,
    session_id: int | None = None,
    proposed_photo_id: int | None = None,
) -> PhotoChoiceDTO:
    """Return the photo a plan or a session is drawn on: the one picked, else the default.

    With neither ``plan_id`` nor ``session_id`` (a new, unsaved session note) the
    default is returned, or *proposed_photo_id* when the practitioner picked one
    for the note being written (stored by :func:`choose_photo` once the note is
    saved). A picked photo that was hidden since, or a proposed one that cannot be
    used (another client's, hidden, no located face), falls back to the default,
    and the reason says so.
    """
    photos = list_photos(session=session, actor=actor, client_id=client_id)
    candidates = [p for p in photos if p.located]
    row = (
        _choice_row(session, plan_id=plan_id, session_id=session_id)
        if plan_id is not None or session_id is not None
        else None
    )
    note = ""
    if row is None and plan_id is None and session_id is None and proposed_photo_id is not None:
        proposed = next((p for p in candidates if p.id == proposed_photo_id), None)
        if proposed is not None:
            return PhotoChoiceDTO(
                photo=proposed,
                chosen=True,
                reason="picked for this note; kept with it when the note is saved",
                candidates=candidates,
            )
        note = "that photo cannot be used (no located face, hidden, or not this client's); showing "
    if row is not None:
        picked = next((p for p in photos if p.id == row.photo_id), None)
        if picked is not None:
            return PhotoChoiceDTO(
                photo=picked,
                chosen=True,
                reason=f"picked by {row.chosen_by} on {row.chosen_at:%d %b %Y}",
                candidates=candidates,
            )
        note = "the photo picked earlier was hidden; showing "
    photo, why = default_photo(photos)
    return PhotoChoiceDTO(photo=photo, chosen=False, reason=note + why, candidates=candidates)


def choose_photo(
    *,
    session: Session,
    actor: Actor,
    photo_id: int | None,
    plan_id: int | None = None,
    session_id: int | None = None,
) -> PhotoChoiceDTO:
    """Pick the photo a plan or a session is drawn on (``photo_id=None``: back to the default).

    Stored beside the plan or note (neither is changed, so a signed note can be
    shown on another photo) and audited.

    Raises
    ------
    PermissionDenied, NotFound
    InvalidRecord
        A photo of another client, a hidden photo, or one without a located face.
    """
    authorize(actor, Action.CHOOSE_PHOTO)
    client_id = _owner_client(session, plan_id=plan_id, session_id=session_id)
    live_client(session, client_id)
    row = _choice_row(session, plan_id=plan_id, session_id=session_id)
    if photo_id is None:
        if row is not None:
            session.delete(row)
    else:
        photo = client_record(session, m.Photo, photo_id, "photo")
        if photo.client_id != client_id:
            raise InvalidRecord("That photo belongs to another client.")
        if photo.hidden_at is not None:
            raise InvalidRecord("That photo is hidden; pick another one.")
        if not photo.face_map or not photo.face_map.get("faces"):
            raise InvalidRecord("No face was located on that photo, so no points can be drawn.")
        if row is None:
            row = m.PhotoChoice(client_id=client_id, plan_id=plan_id, session_id=session_id)
            session.add(row)
        row.photo_id = photo_id
        row.chosen_at = m.utcnow()
        row.chosen_by = author(actor)
    record_type, record_id = ("plan", plan_id) if plan_id is not None else ("session", session_id)
    audit(
        session,
        actor,
        "photo.choose",
        record_type,
        record_id,
        client_id=client_id,
        detail={"photo_id": photo_id},
    )
    session.flush()
    return photo_for(
        session=session, actor=actor, client_id=client_id, plan_id=plan_id, session_id=session_id
    )


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
