"""The one family of errors Acuface raises on bad input.

Every error carries a message a practitioner can act on. The CLI turns them
into ``{"type": ..., "message": ...}`` objects and exit codes, the web app into
HTTP statuses (``http_status``).
"""

from __future__ import annotations

from typing import Any


class AcufaceError(Exception):
    """Base class of every error Acuface raises deliberately.

    Parameters
    ----------
    message : str
        What went wrong and what to do about it, in plain words.
    """

    #: HTTP status the web layer answers with.
    http_status: int = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def type_name(self) -> str:
        """The error's class name, used as a stable ``type`` in JSON output."""
        return type(self).__name__

    def to_dict(self) -> dict[str, str]:
        """Return the JSON form ``{"type": ..., "message": ...}``."""
        return {"type": self.type_name, "message": self.message}


# --- images and faces -------------------------------------------------------


class ImageError(AcufaceError):
    """A photo could not be used."""


class NotAnImage(ImageError):
    """The file is not an image at all (e.g. a PDF or a text file)."""

    http_status = 415


class UnsupportedImage(ImageError):
    """An image in a format or mode Acuface does not read."""

    http_status = 415


class CorruptImage(ImageError):
    """The file looks like an image but is truncated or damaged."""


class ImageTooLarge(ImageError):
    """Too many pixels (a decompression-bomb guard) or too many bytes."""

    http_status = 413


class ImageTooSmall(ImageError):
    """The image, or the face in it, is too small to place points reliably."""


class PhotoBreaksAnalysis(ImageError):
    """Analysing this photo crashed its worker process or passed its memory limit.

    The photo is the likely cause (422); nothing was stored and the server carries on.
    """

    http_status = 422


class FaceError(AcufaceError):
    """A problem with the face in a photo."""

    http_status = 422


class NoFaceFound(FaceError):
    """No face was detected."""


class MultipleFaces(FaceError):
    """More than one face was detected where exactly one is needed."""


class ExtremePose(FaceError):
    """The head is turned or tilted too far for the requested use."""


# --- knowledge and plans -----------------------------------------------------


class AtlasError(AcufaceError):
    """The atlas data is invalid or a lookup failed."""


class UnknownPointCode(AtlasError):
    """A point code that the atlas does not hold."""

    http_status = 404


class UnknownStandard(AtlasError):
    """A location standard (e.g. for GV26) that the point geometry does not define."""


class UnknownConcern(AcufaceError):
    """A concern name that the planner does not know."""

    http_status = 422


class InvalidAnswers(AcufaceError):
    """An intake answers file or form is malformed."""

    http_status = 422


class PlanningError(AcufaceError):
    """A plan cannot be made as asked (e.g. a budget screening cannot meet)."""

    http_status = 422


class TreatmentBlocked(PlanningError):
    """Screening found a condition that blocks treatment today."""


class ReferralNeeded(TreatmentBlocked):
    """A red flag in screening: refer to a physician before any needling."""


# --- records -----------------------------------------------------------------


class ClinicError(AcufaceError):
    """A clinic-records operation failed."""


class NotFound(ClinicError):
    """A record that does not exist (or that this user may not see)."""

    http_status = 404


class PermissionDenied(ClinicError):
    """The user's role does not allow this action."""

    http_status = 403


class RecordLocked(ClinicError):
    """A signed record cannot be edited in place; amend it instead."""

    http_status = 409


class ConsentMissing(ClinicError):
    """The client has no active consent of the kind this needs (409, not a role problem).

    Parameters
    ----------
    message : str
        What is missing and what to do.
    client_id : int
        Whose consent is missing.
    kind : str
        The consent kind needed (``treatment``, ``photography``, ``research``).

    Attributes
    ----------
    link : str
        Where the consent is recorded (the web shows it as a link; JSON carries it).
    """

    http_status = 409

    def __init__(self, message: str, *, client_id: int, kind: str) -> None:
        super().__init__(message)
        self.client_id = client_id
        self.kind = kind
        self.link = f"/clients/{client_id}/consents/new?kind={kind}"

    def to_dict(self) -> dict[str, str]:
        """Return ``{"type", "message", "kind", "link"}``."""
        return {**super().to_dict(), "kind": self.kind, "link": self.link}


class SchemaOutOfDate(ClinicError):
    """The database schema is older than the code; run ``acuface db upgrade``."""

    http_status = 503


class InvalidRecord(ClinicError):
    """Record data breaks a rule (e.g. a password too short, a rating out of range)."""

    http_status = 422


class DuplicateRecord(ClinicError):
    """A record that must be unique already exists (e.g. a username)."""

    http_status = 409


class AuditUnavailable(ClinicError):
    """The audit entry of a read could not be written, so the read is not answered."""

    http_status = 503


class ConfigError(AcufaceError):
    """Settings are missing or unsafe (e.g. a default secret in production)."""


class InvalidSnapshot(AcufaceError):
    """A stored snapshot (plan, face map, skin report, intake) cannot be read.

    Written by a newer Acuface, or damaged: the record stays stored untouched.
    """

    http_status = 500


# --- server worker processes (see acuface.workers) ---------------------------


class WorkerError(AcufaceError):
    """A worker process could not answer (base class)."""

    http_status = 503


class WorkerStartFailed(WorkerError):
    """The worker process did not become ready (its set-up failed or took too long)."""


class WorkerTimeout(WorkerError):
    """A call took longer than its time limit; the worker was stopped."""


class WorkerCrashed(WorkerError):
    """The worker process died during a call (crash, out of memory, killed)."""


class WorkerFailed(WorkerError):
    """The worker's handler raised an unexpected exception (the worker keeps running)."""


class WorkerOutOfMemory(WorkerCrashed):
    """A call needed more memory than the worker's limit; the worker was stopped."""


class WorkerPoolBusy(WorkerError):
    """Every worker of a pool is busy and its waiting line is full (try again shortly)."""

    def __init__(self, message: str, retry_after_s: int = 5) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


# --- the calendar ----------------------------------------------------------------


class BookingRefused(ClinicError):
    """An appointment cannot go where it was asked (closed, outside hours, a clash)."""

    http_status = 409


class ClinicClosed(BookingRefused):
    """The clinic is closed then (a closed day, or outside the opening hours)."""


class AppointmentClash(BookingRefused):
    """The practitioner or the room already has an appointment then.

    Parameters
    ----------
    message : str
        Names the clashing appointment (who, when, what).
    clash : dict
        The clashing appointment in its JSON form; the API answers it under ``clash``.
    """

    def __init__(self, message: str, clash: dict[str, Any]) -> None:
        super().__init__(message)
        self.clash = clash

    def to_dict(self) -> dict[str, Any]:
        """Return ``{"type", "message", "clash"}``."""
        return {**super().to_dict(), "clash": self.clash}
