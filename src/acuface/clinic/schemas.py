"""Data transfer objects of the clinic services.

Services take plain keyword arguments or ``*Create``/``*Update`` input models and
return the ``*DTO`` models below, never ORM objects, so the web app, the CLI and
the reports never touch the database layer. Input models reject unknown fields.
"""

from __future__ import annotations

import base64
import binascii
import getpass
import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Literal, get_args, overload
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from acuface.atlas.knowledge import OutcomeScale, load_knowledge
from acuface.config import get_settings
from acuface.locator.snapshot import FaceMapSnapshot
from acuface.planner.snapshot import IntakeSnapshot, PlanSnapshot
from acuface.skin.snapshot import SkinSnapshot
from acuface.vocab import Side, normalise_code
from acuface.vocab.snapshots import Snapshot

Role = Literal["admin", "practitioner", "reception"]
ROLES: tuple[Role, ...] = ("admin", "practitioner", "reception")

Sex = Literal["female", "male", "other", "unknown"]


def _adverse_kind(value: str) -> str:
    kinds = load_knowledge().adverse_events_by_id
    if value not in kinds:
        raise ValueError(f"unknown adverse event kind {value!r}; use one of {', '.join(kinds)}")
    return value


def _aftercare_ids(value: list[str]) -> list[str]:
    known = load_knowledge().aftercare_by_id
    unknown = [item for item in value if item not in known]
    if unknown:
        raise ValueError(f"unknown aftercare {unknown}; use ids of {', '.join(known)}")
    return value


def _position_id(value: str) -> str:
    known = load_knowledge().positions_by_id
    if value not in known:
        raise ValueError(f"unknown position {value!r}; use one of {', '.join(known)}")
    return value


#: A kind of adverse event: an id of ``atlas/data/adverse_events.yaml``.
AdverseKind = Annotated[str, Field(max_length=20), AfterValidator(_adverse_kind)]
#: Aftercare given: ids of ``practice.yaml``'s ``aftercare``.
AftercareIds = Annotated[list[str], Field(max_length=20), AfterValidator(_aftercare_ids)]
#: A treatment position: an id of ``practice.yaml``'s ``session.positions``.
PositionId = Annotated[str, Field(max_length=20), AfterValidator(_position_id)]


class _AdverseKindsFromData(Sequence[str]):
    """The adverse event kinds of ``atlas/data/adverse_events.yaml``, read on first use."""

    def _ids(self) -> list[str]:
        return list(load_knowledge().adverse_events_by_id)

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...
    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        return self._ids()[index]

    def __len__(self) -> int:
        return len(self._ids())


#: Every adverse event kind, in file order (forms list them so).
ADVERSE_KINDS: Sequence[str] = _AdverseKindsFromData()
Severity = Literal["mild", "moderate", "severe"]
#: Kinds a stored consent may have (``data_processing`` and ``other`` are older records').
ConsentKind = Literal["treatment", "photography", "data_processing", "research", "other"]
#: Kinds recorded today: each has a versioned text in ``clinic/data/consent_texts.yaml``.
NewConsentKind = Literal["treatment", "photography", "research"]
PhotoView = Literal[
    "front", "left_oblique", "right_oblique", "left_profile", "right_profile", "other"
]
SessionStatus = Literal["draft", "signed"]


# Snapshots as stored (JSON columns) are read through their producer's upgrade
# steps, so a record written by an older Acuface arrives as today's type.
def _read_stored(cls: type[Snapshot]) -> BeforeValidator:
    # None passes through for the optional snapshots of a photo without a face.
    return BeforeValidator(lambda value: value if value is None else cls.read(value))


StoredIntake = Annotated[IntakeSnapshot, _read_stored(IntakeSnapshot)]
StoredPlan = Annotated[PlanSnapshot, _read_stored(PlanSnapshot)]
StoredFaceMap = Annotated[FaceMapSnapshot, _read_stored(FaceMapSnapshot)]
StoredSkinReport = Annotated[SkinSnapshot, _read_stored(SkinSnapshot)]

# --- bounds on input ------------------------------------------------------------
# Every number, date and text that people type has a range, so that a slip (or a
# probe) is a clear 422 and never an absurd record or a database overflow.

#: Earliest date of any record or birth.
EARLIEST_DATE = date(1900, 1, 1)
#: How far ahead appointments and other records may be dated.
MAX_DAYS_AHEAD = 2 * 366
#: Point/side entries of one session (a full face and body plan has about 40).
MAX_NEEDLE_ENTRIES = 120
#: Needles in one session, all entries together.
MAX_NEEDLES_PER_SESSION = 300
#: Longest clinical free text (SOAP fields, amendments).
MAX_NOTE_CHARS = 20_000


#: The oldest plausible client, in years (a birth date before that is a typing slip).
MAX_AGE_YEARS = 120


def _birth_date(value: date) -> date:
    today = datetime.now(UTC).date()
    earliest = max(EARLIEST_DATE, today.replace(year=today.year - MAX_AGE_YEARS, day=1))
    if not earliest <= value < today:
        raise ValueError(
            f"a birth date must be in the past, between {earliest.isoformat()} and "
            f"yesterday ({(today - timedelta(days=1)).isoformat()})"
        )
    return value


_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+$")


def _email(value: str | None) -> str | None:
    """Check an e-mail address's form (one @, a dotted domain, no spaces); domain lower-cased."""
    if value is None or value == "":
        return value  # "" clears the field in an update
    if not _EMAIL.match(value) or ".." in value:
        raise ValueError(f"{value!r} is not an e-mail address (like name@example.org)")
    local, domain = value.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def _phone(value: str | None) -> str | None:
    """Parse a phone number and return it in international format (``+44 20 7946 0958``).

    Numbers without ``+`` and a country code are read in the clinic's region
    (setting ``ACUFACE_PHONE_REGION``, default GB).
    """
    if value is None or value == "":
        return value
    region = get_settings().phone_region
    try:
        parsed = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        raise ValueError(
            f"{value!r} is not a phone number; type it with its area code, or with + and the "
            "country code"
        ) from None
    if not phonenumbers.is_possible_number(parsed):
        raise ValueError(
            f"{value!r} has too few or too many digits for a phone number in "
            f"{phonenumbers.region_code_for_number(parsed) or region}"
        )
    return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL))


#: An e-mail address, checked for its form.
Email = Annotated[str, Field(max_length=200), AfterValidator(_email)]
#: A phone number, normalised to international format.
Phone = Annotated[str, Field(max_length=50), AfterValidator(_phone)]


def _record_date(value: date) -> date:
    latest = datetime.now(UTC).date() + timedelta(days=MAX_DAYS_AHEAD)
    if not EARLIEST_DATE <= value <= latest:
        raise ValueError(
            f"the date must be between {EARLIEST_DATE.isoformat()} and {latest.isoformat()}"
        )
    return value


def _record_datetime(value: datetime) -> datetime:
    _record_date(value.date())
    return value


#: A link to another record by id: within a 32-bit signed integer, like the columns.
RecordRef = Annotated[int, Field(ge=1, le=2_147_483_647)]
#: A date of birth: from 1900 to today.
BirthDate = Annotated[date, AfterValidator(_birth_date)]
#: The date of a record (session, intake, event, rating, consent): 1900 to two years ahead.
RecordDate = Annotated[date, AfterValidator(_record_date)]
#: A timestamp of a record, same range as :data:`RecordDate`.
RecordDateTime = Annotated[datetime, AfterValidator(_record_datetime)]


#: One outcome scale: its range, who rates it, the concerns it fits (atlas data).
RatingScale = OutcomeScale


class _ScalesFromData(Mapping[str, OutcomeScale]):
    """The outcome scales of ``atlas/data/scales.yaml``, read on first use."""

    def _scales(self) -> dict[str, OutcomeScale]:
        return load_knowledge().scales_by_name

    def __getitem__(self, name: str) -> OutcomeScale:
        return self._scales()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._scales())

    def __len__(self) -> int:
        return len(self._scales())


#: The outcome scales the clinic records (GAIS, 0-10 scales ...), keyed by name; the
#: facts live in ``atlas/data/scales.yaml`` with their sources.
RATING_SCALES: Mapping[str, OutcomeScale] = _ScalesFromData()


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True, frozen=True)


# --- who is acting -----------------------------------------------------------


class Actor(BaseModel):
    """Who performs a service call, and from where.

    Attributes
    ----------
    user_id : int or None
        The user's id; ``None`` for the local system operator (CLI).
    username : str
        Recorded in the audit log.
    role : {"admin", "practitioner", "reception"}
        Decides what the call may do.
    source : str
        Where the call comes from: the client IP for the web, ``"cli"`` for commands.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    user_id: int | None
    username: str
    role: Role
    source: str = "unknown"

    @classmethod
    def system(cls, source: str = "cli") -> Actor:
        """Return the local operator (someone with shell access to the data), acting as admin."""
        try:
            who = getpass.getuser()
        except Exception:  # noqa: BLE001 - no login name in some containers
            who = "unknown"
        return cls(user_id=None, username=f"system:{who}", role="admin", source=source)

    @classmethod
    def from_user(cls, user: UserDTO, source: str) -> Actor:
        """Return the actor for a logged-in *user* calling from *source* (an IP address)."""
        return cls(user_id=user.id, username=user.username, role=user.role, source=source)


# --- users -------------------------------------------------------------------


class UserDTO(_Out):
    """A user account (never the password hash)."""

    id: int
    username: str
    display_name: str
    role: Role
    credentials: str | None = None
    is_active: bool
    created_at: datetime
    last_login_at: datetime | None = None

    @property
    def signature_name(self) -> str:
        """Full name and credentials, as printed under a signed note."""
        return f"{self.display_name}, {self.credentials}" if self.credentials else self.display_name


class LoginSessionDTO(_Out):
    """A signed-in web session as the administrator's list shows it.

    ``key`` is the store key (a hash of the session id, never the id itself).
    """

    key: str
    user_id: int
    username: str
    display_name: str
    role: Role
    started_at: datetime
    last_seen_at: datetime
    ip: str
    user_agent: str


# --- clients -----------------------------------------------------------------


class ClientCreate(_Input):
    """Identity and contact details of a new client."""

    given_name: str = Field(min_length=1, max_length=100)
    family_name: str = Field(min_length=1, max_length=100)
    birth_date: BirthDate | None = None
    sex: Sex = "unknown"
    email: Email | None = None
    phone: Phone | None = None
    address: str | None = Field(default=None, max_length=500)
    notes: str | None = Field(default=None, max_length=10_000)


class ClientUpdate(_Input):
    """Fields to change on a client; ``None`` (or absent) leaves a field unchanged."""

    given_name: str | None = Field(default=None, min_length=1, max_length=100)
    family_name: str | None = Field(default=None, min_length=1, max_length=100)
    birth_date: BirthDate | None = None
    sex: Sex | None = None
    email: Email | None = None
    phone: Phone | None = None
    address: str | None = Field(default=None, max_length=500)
    notes: str | None = Field(default=None, max_length=10_000)


class ClientDTO(_Out):
    """A client record."""

    id: int
    given_name: str
    family_name: str
    birth_date: date | None
    sex: Sex
    email: str | None
    phone: str | None
    address: str | None
    notes: str | None
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = None
    retention_note: str | None = None

    @property
    def name(self) -> str:
        """Display name, ``"Given Family"``."""
        return f"{self.given_name} {self.family_name}"


class RecordWarning(_Out):
    """Something to check about a record that was saved anyway (a warning, never a refusal).

    Attributes
    ----------
    kind : str
        ``"possible_duplicate"``: another client has the same name and birth date.
    message : str
        What to check, in words for the practitioner.
    client_id : int or None
        The other record the warning is about (the possible duplicate).
    """

    kind: Literal["possible_duplicate"]
    message: str
    client_id: int | None = None


class ClientSavedDTO(ClientDTO):
    """A client just created or changed, with the warnings about it.

    The answer of ``POST /api/clients`` and ``PATCH /api/clients/{id}``: the saved
    client and ``warnings`` (empty unless another live client has the same name and
    birth date). A client read back later carries no warnings.
    """

    warnings: list[RecordWarning] = Field(default_factory=list)


class ClientSummaryDTO(_Out):
    """One row of the client list."""

    id: int
    name: str
    birth_date: date | None
    phone: str | None
    email: str | None
    deleted: bool = False


# --- intakes and plans -------------------------------------------------------


class IntakeCreate(_Input):
    """A new intake.

    ``intake`` is the planner's intake (concerns, pattern answers, screening,
    tongue, pulse, age, overrides) as an :class:`IntakeSnapshot`; its JSON form
    (``Intake.model_dump(mode="json")``) is accepted too.
    """

    intake_date: RecordDate | None = None
    intake: StoredIntake
    notes: str | None = Field(default=None, max_length=10_000)


class IntakeDTO(_Out):
    """A stored intake."""

    id: int
    client_id: int
    intake_date: date
    intake: StoredIntake
    notes: str | None
    created_at: datetime
    created_by: str


class PlanDTO(_Out):
    """A stored plan: its frozen :class:`PlanSnapshot` and the planner version."""

    id: int
    client_id: int
    intake_id: int | None
    planner_version: str
    plan: StoredPlan
    needle_count: int | None
    note: str | None
    created_at: datetime
    created_by: str


class ErrorDTO(_Out):
    """An Acuface error as data: ``{"type": ..., "message": ...}``."""

    type: str
    message: str


class IntakeResult(_Out):
    """The stored intake and the plan the planner proposed (or why it could not)."""

    intake: IntakeDTO
    plan: PlanDTO | None
    blocked: ErrorDTO | None = None


# --- treatment sessions ------------------------------------------------------


class NeedleIn(_Input):
    """Needles placed at one point on one side."""

    point_code: str = Field(min_length=1, max_length=20)
    side: Side
    count: int = Field(default=1, ge=1, le=20)
    technique: str | None = Field(
        default=None, max_length=300, description="How it was needled (default: the plan's)."
    )
    override_reason: str | None = Field(
        default=None,
        max_length=2000,
        description="Why a point the plan left out was needled anyway (required then).",
    )

    @field_validator("point_code")
    @classmethod
    def _upper(cls, value: str) -> str:
        return normalise_code(value)


def check_needle_total(needles: list[NeedleIn]) -> None:
    """Refuse a needle list longer than a session can be.

    Raises
    ------
    ValueError
        More than :data:`MAX_NEEDLE_ENTRIES` entries or :data:`MAX_NEEDLES_PER_SESSION`
        needles (pydantic turns it into a validation error; services into ``InvalidRecord``).
    """
    if len(needles) > MAX_NEEDLE_ENTRIES:
        raise ValueError(
            f"a session has at most {MAX_NEEDLE_ENTRIES} point/side entries, got {len(needles)}"
        )
    total = sum(n.count for n in needles)
    if total > MAX_NEEDLES_PER_SESSION:
        raise ValueError(
            f"a session has at most {MAX_NEEDLES_PER_SESSION} needles in all, got {total}"
        )


class NeedleDTO(_Out):
    """Needles placed at one point on one side."""

    point_code: str
    side: Side
    count: int
    technique: str | None = None
    override_reason: str | None = None


class _SessionNote(_Input):
    """The fields of a treatment note that a new session and a draft's changes share.

    One definition, so that a limit (a note's length, the INR range) is the same
    whether the note is written at once or edited later.
    """

    retention_minutes: int | None = Field(default=None, ge=0, le=240)
    technique: str | None = Field(default=None, max_length=500)
    subjective: str | None = Field(default=None, max_length=MAX_NOTE_CHARS)
    objective: str | None = Field(default=None, max_length=MAX_NOTE_CHARS)
    assessment: str | None = Field(default=None, max_length=MAX_NOTE_CHARS)
    plan_note: str | None = Field(default=None, max_length=MAX_NOTE_CHARS)
    needles_out: int | None = Field(
        default=None, ge=0, le=MAX_NEEDLES_PER_SESSION, description="Needles counted out."
    )
    aftercare: AftercareIds | None = None
    inr: float | None = Field(default=None, ge=0.5, le=10, description="Latest INR (warfarin).")
    position: PositionId | None = None


class SessionCreate(_SessionNote):
    """A new (draft) treatment session. ``practitioner_id`` defaults to the actor."""

    session_date: RecordDate
    start_time: time | None = None
    practitioner_id: RecordRef | None = None
    plan_id: RecordRef | None = None
    needles: list[NeedleIn] = Field(default_factory=list, max_length=MAX_NEEDLE_ENTRIES)

    @model_validator(mode="after")
    def _needle_total(self) -> SessionCreate:
        check_needle_total(self.needles)
        return self


class SessionUpdate(_SessionNote):
    """Changes to a draft session; ``None`` (or absent) leaves a field unchanged.

    ``needles``, when given, replaces the whole list.
    """

    session_date: RecordDate | None = None
    start_time: time | None = None
    practitioner_id: RecordRef | None = None
    plan_id: RecordRef | None = None
    needles: list[NeedleIn] | None = Field(default=None, max_length=MAX_NEEDLE_ENTRIES)

    @model_validator(mode="after")
    def _needle_total(self) -> SessionUpdate:
        check_needle_total(self.needles or [])
        return self


class AmendmentDTO(_Out):
    """A dated addition to a signed session note."""

    id: int
    session_id: int
    created_at: datetime
    author_id: int | None
    author: str
    text: str
    reason: str | None
    needles: list[NeedleDTO] | None = None


class SessionDTO(_Out):
    """A treatment session with its needles and amendments (originals stay visible)."""

    id: int
    client_id: int
    session_date: date
    start_time: time | None
    practitioner_id: int
    practitioner: str
    plan_id: int | None
    retention_minutes: int | None
    technique: str | None
    needles: list[NeedleDTO]
    subjective: str | None
    objective: str | None
    assessment: str | None
    plan_note: str | None
    needles_out: int | None = None
    aftercare: list[str] = Field(default_factory=list)
    inr: float | None = None
    position: str | None = None
    status: SessionStatus
    signed_at: datetime | None
    signed_by_id: int | None
    signed_by: str | None
    signed_by_credentials: str | None = None
    signed_for_reason: str | None = Field(
        default=None, description="Why someone other than the practitioner signed."
    )
    practitioner_credentials: str | None = None
    created_at: datetime
    updated_at: datetime
    amendments: list[AmendmentDTO] = Field(default_factory=list)

    @property
    def signed_for_colleague(self) -> bool:
        """Whether the note was signed by someone other than its practitioner."""
        return self.signed_by_id is not None and self.signed_by_id != self.practitioner_id

    @property
    def signer_line(self) -> str | None:
        """The signer's full name and credentials, as printed under the note."""
        if self.signed_by is None:
            return None
        cred = self.signed_by_credentials
        return f"{self.signed_by}, {cred}" if cred else self.signed_by

    @property
    def needle_total(self) -> int:
        """Needles placed in total (the count in)."""
        return sum(n.count for n in self.needles)

    @property
    def overrides(self) -> list[NeedleDTO]:
        """Needles at points the plan left out, each with its reason."""
        return [n for n in self.needles if n.override_reason]


class SessionListItemDTO(_Out):
    """A session as a row of a list: when, who, how many needles, signed or not.

    Lists show a page of sessions; this row carries totals counted by the database
    instead of every needle and amendment of the page (a busy client's page of 50
    sessions holds about a thousand needle rows).
    """

    id: int
    client_id: int
    session_date: date
    start_time: time | None
    practitioner: str
    status: SessionStatus
    needle_total: int
    amendment_count: int


class ScheduleEntryDTO(_Out):
    """A session on the day list: no clinical content, so reception may see it."""

    session_id: int
    client_id: int
    client_name: str
    session_date: date
    start_time: time | None
    practitioner_id: int
    practitioner: str
    status: SessionStatus


# --- adverse events ----------------------------------------------------------


class AdverseEventCreate(_Input):
    """A new adverse event (e.g. a bruise at a needle site)."""

    kind: AdverseKind
    severity: Severity = "mild"
    session_id: RecordRef | None = None
    point_code: str | None = Field(default=None, max_length=20)
    side: Side | None = None
    onset_date: RecordDate
    resolved_date: RecordDate | None = None
    description: str | None = Field(default=None, max_length=10_000)


class AdverseEventDTO(_Out):
    """A recorded adverse event."""

    id: int
    client_id: int
    session_id: int | None
    kind: AdverseKind
    severity: Severity
    point_code: str | None
    side: Side | None
    onset_date: date
    resolved_date: date | None
    description: str | None
    created_at: datetime
    created_by: str


# --- photos, measurements, ratings, consents ---------------------------------


class PhotoDTO(_Out):
    """A stored photo's metadata; the bytes come from ``read_photo_bytes``.

    ``face_map`` is the locator's ``FaceMap.to_json()`` and ``skin_report`` the skin
    analysis ``SkinReport.to_json()``, each frozen with its version.
    """

    id: int
    client_id: int
    session_id: int | None
    sha256: str
    content_type: str
    width: int
    height: int
    byte_size: int
    captured_at: datetime | None
    added_at: datetime
    visit_date: date | None = None
    view: PhotoView
    yaw_deg: float | None
    pitch_deg: float | None
    roll_deg: float | None
    quality_ok: bool | None
    quality_flags: list[str]
    face_in_frame: bool | None = None
    face_map: StoredFaceMap | None
    face_map_version: str | None
    skin_report: StoredSkinReport | None
    skin_method_version: str | None
    note: str | None
    hidden_at: datetime | None = None
    hidden_by: str | None = None
    hidden_reason: str | None = None
    created_at: datetime
    created_by: str

    @property
    def taken_at(self) -> datetime | None:
        """When the camera took it (EXIF, kept only when plausible), if known."""
        return self.captured_at

    @property
    def compared_on(self) -> date:
        """The date progress and reports use: the visit's, else the day it was added.

        Never the camera's date: a camera clock set to 2012 must not reorder a course.
        """
        return self.visit_date or self.added_at.date()

    @property
    def hidden(self) -> bool:
        """Whether the photo was hidden (soft-deleted)."""
        return self.hidden_at is not None

    @property
    def located(self) -> bool:
        """Whether a face was located on it (so points can be drawn)."""
        return self.face_map is not None and self.face_map.primary is not None


class MeasuredValue(BaseModel):
    """One number the skin analysis of a photo measured, with its unit."""

    model_config = ConfigDict(frozen=True)

    region: str
    metric: str
    value: float
    unit: str | None
    method_version: str


class PhotoAnalysis(BaseModel):
    """What the locator and the skin analysis found on one photo (before it is stored).

    Problems never stop a photo from being stored: they are ``quality_flags``.
    """

    model_config = ConfigDict(frozen=True)

    quality_flags: list[str] = Field(default_factory=list)
    quality_ok: bool | None = None
    face_in_frame: bool | None = None
    face_map: FaceMapSnapshot | None = None
    face_map_version: str | None = None
    yaw_deg: float | None = None
    pitch_deg: float | None = None
    roll_deg: float | None = None
    skin_report: SkinSnapshot | None = None
    skin_method_version: str | None = None
    measurements: list[MeasuredValue] = Field(default_factory=list)

    @property
    def analysed(self) -> bool:
        """Whether the analysis ran (found a face, or flagged why not)."""
        return self.face_map is not None or bool(self.quality_flags)


class PhotoCheckDTO(_Out):
    """Result of checking a photo before saving it (nothing is stored)."""

    width: int
    height: int
    face_found: bool
    face_in_frame: bool | None = None
    quality_ok: bool | None = None
    yaw_deg: float | None = None
    pitch_deg: float | None = None
    roll_deg: float | None = None
    ok: bool
    warnings: list[str] = Field(default_factory=list)


class PhotoChoiceDTO(_Out):
    """Which photo a plan or a session is drawn on, and why that one.

    Attributes
    ----------
    photo : PhotoDTO or None
        The photo to draw on; None when no photo of the client can be used.
    chosen : bool
        True when a practitioner picked it; False for the default choice.
    reason : str
        Why this photo, in words for the page.
    candidates : list of PhotoDTO
        The client's photos with a located face, newest first (for the picker).
    """

    photo: PhotoDTO | None
    chosen: bool
    reason: str
    candidates: list[PhotoDTO] = Field(default_factory=list)


class MeasurementCreate(_Input):
    """A measured value (e.g. from skin analysis of a photo)."""

    metric: str = Field(min_length=1, max_length=100)
    region: str = Field(default="face", min_length=1, max_length=100)
    value: float = Field(allow_inf_nan=False)
    unit: str | None = Field(default=None, max_length=30)
    method_version: str = Field(min_length=1, max_length=50)
    measured_at: RecordDateTime | None = None
    photo_id: RecordRef | None = None
    session_id: RecordRef | None = None


class MeasurementDTO(_Out):
    """A stored measurement."""

    id: int
    client_id: int
    photo_id: int | None
    session_id: int | None
    metric: str
    region: str
    value: float
    unit: str | None
    method_version: str
    measured_at: datetime
    created_at: datetime


class RatingCreate(_Input):
    """An outcome rating on one of :data:`RATING_SCALES`."""

    scale: str = Field(max_length=50)
    value: int
    rated_on: RecordDate
    session_id: RecordRef | None = None
    note: str | None = Field(default=None, max_length=2000)


class RatingDTO(_Out):
    """A stored outcome rating."""

    id: int
    client_id: int
    session_id: int | None
    scale: str
    value: int
    rater: Literal["practitioner", "client"]
    rated_on: date
    note: str | None
    created_at: datetime
    created_by: str


#: Largest drawn signature accepted (a tablet-sized PNG of strokes is 5-40 kB).
MAX_SIGNATURE_BYTES = 300_000
_DATA_URL_PNG = "data:image/png;base64,"


def _signature_bytes(value: object) -> object:
    """Accept PNG bytes, or (JSON, forms) base64 text with or without a data-URL prefix."""
    if not isinstance(value, str):
        return value
    text = value.strip().removeprefix(_DATA_URL_PNG)
    if not text:
        return b""  # an empty field: no signature (the service stores None)
    if len(text) > MAX_SIGNATURE_BYTES * 4 // 3 + 4:
        raise ValueError(f"the signature is larger than {MAX_SIGNATURE_BYTES} bytes")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("the signature must be a PNG image as base64 text") from None


#: A drawn signature: PNG bytes (base64 text in JSON).
SignaturePng = Annotated[
    bytes,
    BeforeValidator(_signature_bytes),
    Field(max_length=MAX_SIGNATURE_BYTES, description="PNG; in JSON base64 or a data URL."),
]


class ConsentCreate(_Input):
    """A consent given (or refused) by the client.

    The witness is the signed-in user who records it. ``document_version`` is the
    id of the consent text shown; left out, the kind's current text.
    """

    kind: NewConsentKind
    signed_by: str = Field(
        min_length=2, max_length=200, description="The client's name as they typed it."
    )
    granted: bool = True
    signed_on: RecordDate | None = Field(default=None, description="Default: today.")
    document_version: str | None = Field(default=None, max_length=100)
    signature_png: SignaturePng | None = Field(
        default=None, description="The signature drawn on the tablet."
    )
    note: str | None = Field(default=None, max_length=2000)


class ConsentDTO(_Out):
    """A stored consent (the signature image itself comes from ``consent_signature``)."""

    id: int
    client_id: int
    kind: ConsentKind
    granted: bool
    signed_on: date
    withdrawn_on: date | None
    withdrawn_by: str | None = None
    document_version: str | None
    signed_by: str | None = None
    has_signature: bool = False
    witness_id: int | None = None
    witness_name: str | None = None
    note: str | None
    created_at: datetime
    created_by: str

    @property
    def active(self) -> bool:
        """Given and not withdrawn."""
        return self.granted and self.withdrawn_on is None


# --- audit and maintenance ---------------------------------------------------


class AuditEntryDTO(_Out):
    """One audit log entry: who did what to which record, when, from where."""

    id: int
    at: datetime
    user_id: int | None
    username: str
    role: str | None
    action: str
    record_type: str
    record_id: str | None
    client_id: int | None
    source: str
    detail: str | None


#: What a timeline entry can be, in the order they happen within one day (the consent
#: before the intake, the plan, the session ...): the timeline sorts by it.
TimelineKind = Literal[
    "consent",
    "intake",
    "plan",
    "session",
    "amendment",
    "photo",
    "adverse_event",
    "rating",
    "measurement",
]
TIMELINE_KINDS: tuple[TimelineKind, ...] = get_args(TimelineKind)


class TimelineEntryDTO(_Out):
    """One item of a client's timeline, newest first."""

    kind: TimelineKind
    record_id: int
    at: date
    title: str
    detail: str | None = None


class StoreCheckDTO(_Out):
    """Photo rows compared with the photo files."""

    photo_rows: int
    files: int
    missing: list[str]
    corrupt: list[str]
    orphans: list[str]
    temp_files: int
    removed: int


class PurgeReport(_Out):
    """What a hard purge removed."""

    client_id: int
    rows_deleted: dict[str, int]
    photo_files_deleted: int  # removed from the store when the transaction commits


# --- live camera view --------------------------------------------------------


class LiveViewDTO(_Out):
    """A live camera view that was allowed and audited (see ``services.open_live_view``).

    Attributes
    ----------
    client_id : int or None
        Whose face the view shows (None: a view not tied to a client).
    plan_id : int or None
        The plan whose points are drawn, if any.
    """

    client_id: int | None
    plan_id: int | None


# --- clinic settings (identity, hours, closed days, appointment kinds, rooms) ----

WEEKDAYS: tuple[str, ...] = (
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
)
#: Largest clinic logo accepted (bytes of the uploaded file).
MAX_LOGO_BYTES = 1_000_000
#: Closed days one clinic keeps (holidays of a few years).
MAX_CLOSED_DAYS = 400


def _timezone_name(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r}; use a name like Europe/Berlin") from None
    return value


#: An IANA time zone name (``Europe/Berlin``); opening hours are wall-clock times there.
TimeZoneName = Annotated[str, Field(max_length=60), AfterValidator(_timezone_name)]


class OpenInterval(BaseModel):
    """One stretch of a day the clinic is open, ``opens`` to ``closes`` (wall clock)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    opens: time
    closes: time

    @model_validator(mode="after")
    def _order(self) -> OpenInterval:
        if self.closes <= self.opens:
            raise ValueError(f"closing time {self.closes:%H:%M} is not after {self.opens:%H:%M}")
        return self

    def holds(self, start: time, end: time) -> bool:
        """Whether a visit from *start* to *end* (same day) lies entirely in this stretch."""
        return self.opens <= start and end <= self.closes

    @property
    def label(self) -> str:
        """``"09:00-12:30"``."""
        return f"{self.opens:%H:%M}-{self.closes:%H:%M}"


#: Most opening intervals one weekday has (morning, afternoon, evening, and some).
MAX_INTERVALS_PER_DAY = 6


class DayHours(BaseModel):
    """Opening hours of one weekday: its open intervals in order; none means closed.

    A clinic that closes for lunch has two (09:00-12:30, 13:30-18:00). Intervals
    may not overlap or touch (two that touch are one interval: write it so).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    intervals: list[OpenInterval] = Field(default_factory=list, max_length=MAX_INTERVALS_PER_DAY)

    @field_validator("intervals")
    @classmethod
    def _apart(cls, intervals: list[OpenInterval]) -> list[OpenInterval]:
        ordered = sorted(intervals, key=lambda iv: iv.opens)
        for before, after in zip(ordered, ordered[1:], strict=False):
            if after.opens <= before.closes:
                raise ValueError(
                    f"opening intervals {before.label} and {after.label} overlap or touch; "
                    "make them one interval or leave a gap"
                )
        return ordered

    @property
    def is_open(self) -> bool:
        """Whether the clinic opens at all on this weekday."""
        return bool(self.intervals)

    @property
    def opens(self) -> time | None:
        """When the day's first interval opens (None: closed all day)."""
        return self.intervals[0].opens if self.intervals else None

    @property
    def closes(self) -> time | None:
        """When the day's last interval closes (None: closed all day)."""
        return self.intervals[-1].closes if self.intervals else None

    def interval_holding(self, start: time, end: time) -> OpenInterval | None:
        """Return the interval a visit from *start* to *end* lies entirely in, or None."""
        return next((iv for iv in self.intervals if iv.holds(start, end)), None)

    def gaps(self) -> list[tuple[time, time]]:
        """Return the stretches between two intervals (a lunch break), in order."""
        return [
            (a.closes, b.opens) for a, b in zip(self.intervals, self.intervals[1:], strict=False)
        ]

    @property
    def label(self) -> str:
        """``"09:00-12:30, 13:30-18:00"``, or ``"closed"``."""
        return ", ".join(iv.label for iv in self.intervals) or "closed"


def day_hours(*intervals: tuple[time, time]) -> DayHours:
    """Return a :class:`DayHours` of (opens, closes) pairs; none means closed that weekday."""
    return DayHours(intervals=[OpenInterval(opens=a, closes=b) for a, b in intervals])


class ClosedDay(BaseModel):
    """A date the clinic is closed (a holiday, training, a move)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    day: date
    reason: str = Field(default="", max_length=200)


class AppointmentKind(BaseModel):
    """A kind of appointment and its default length."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]{0,29}$")
    label: str = Field(min_length=1, max_length=60)
    duration_min: int = Field(ge=5, le=480)


#: Monday to Friday 09:00-18:00, Saturday 09:00-13:00, Sunday closed.
DEFAULT_HOURS: tuple[DayHours, ...] = (
    *(day_hours((time(9), time(18))) for _ in range(5)),
    day_hours((time(9), time(13))),
    DayHours(),
)
DEFAULT_KINDS: tuple[AppointmentKind, ...] = (
    AppointmentKind(id="first_visit", label="First visit", duration_min=90),
    AppointmentKind(id="treatment", label="Treatment", duration_min=60),
    AppointmentKind(id="follow_up", label="Follow-up", duration_min=30),
)


class _SettingsFields(BaseModel):
    name: str = Field(default="Acuface clinic", min_length=1, max_length=200)
    address: str | None = Field(default=None, max_length=500)
    phone: str | None = Field(default=None, max_length=50)
    email: str | None = Field(default=None, max_length=200)
    timezone: TimeZoneName = "UTC"
    opening_hours: list[DayHours] = Field(
        default_factory=lambda: list(DEFAULT_HOURS), min_length=7, max_length=7
    )
    closed_days: list[ClosedDay] = Field(default_factory=list, max_length=MAX_CLOSED_DAYS)
    appointment_kinds: list[AppointmentKind] = Field(
        default_factory=lambda: list(DEFAULT_KINDS), min_length=1, max_length=30
    )
    rooms: list[Annotated[str, Field(min_length=1, max_length=50)]] = Field(
        default_factory=list, max_length=50
    )

    @model_validator(mode="after")
    def _unique(self) -> _SettingsFields:
        kinds = [k.id for k in self.appointment_kinds]
        if len(set(kinds)) != len(kinds):
            raise ValueError("appointment kind ids must be unique")
        if len(set(self.rooms)) != len(self.rooms):
            raise ValueError("room names must be unique")
        return self


class ClinicSettingsUpdate(_SettingsFields, _Input):
    """The clinic's settings as an admin saves them (every field; the logo apart).

    ``opening_hours`` has seven entries, Monday first.
    """


class ClinicSettingsDTO(_SettingsFields, _Out):
    """The clinic's settings: identity, opening hours, closed days, appointment kinds, rooms.

    The logo is read apart (:func:`acuface.clinic.services.get_clinic_logo`); ``has_logo``
    says whether there is one.
    """

    has_logo: bool = False
    updated_at: datetime | None = None
    updated_by: str | None = None

    @property
    def zone(self) -> ZoneInfo:
        """The clinic's time zone."""
        return ZoneInfo(self.timezone)

    def hours_on(self, day: date) -> DayHours:
        """Return the opening hours of *day*'s weekday (closed days not considered)."""
        return self.opening_hours[day.weekday()]

    def closed_reason(self, day: date) -> str | None:
        """Return why the clinic is closed on *day* (``""`` if no reason given) or None."""
        for closed in self.closed_days:
            if closed.day == day:
                return closed.reason
        if not self.hours_on(day).is_open:
            return f"closed on {WEEKDAYS[day.weekday()]}s"
        return None

    def kind(self, kind_id: str) -> AppointmentKind | None:
        """Return the appointment kind *kind_id*, or None when it is not configured."""
        return next((k for k in self.appointment_kinds if k.id == kind_id), None)

    def kind_label(self, kind_id: str) -> str:
        """Return the label of *kind_id* (the id itself, made readable, when unknown)."""
        found = self.kind(kind_id)
        return found.label if found else kind_id.replace("_", " ").capitalize()


class ClinicLogo(_Out):
    """The clinic's logo: a PNG at most 600 px on its longer side."""

    content_type: str
    data: bytes

    @property
    def data_uri(self) -> str:
        """The logo as a ``data:`` URI (for printed documents, which fetch nothing)."""
        return f"data:{self.content_type};base64,{base64.b64encode(self.data).decode('ascii')}"


# --- appointments (the calendar) -----------------------------------------------

AppointmentStatus = Literal["booked", "arrived", "completed", "cancelled", "no_show"]
APPOINTMENT_STATUSES: tuple[AppointmentStatus, ...] = get_args(AppointmentStatus)
#: Statuses that hold their slot (a cancelled or missed visit frees it).
HOLDING_STATUSES: tuple[AppointmentStatus, ...] = ("booked", "arrived", "completed")
#: Longest date range one calendar query may ask for (a page shows a day or a week).
MAX_RANGE_DAYS = 62
KindId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,29}$")]


class AppointmentCreate(_Input):
    """A new appointment.

    ``start`` without a time zone is a wall-clock time in the clinic's zone;
    ``duration_min`` defaults to the kind's length (clinic settings).
    """

    client_id: RecordRef
    practitioner_id: RecordRef
    start: RecordDateTime
    kind: KindId
    duration_min: int | None = Field(default=None, ge=5, le=480)
    room: str | None = Field(default=None, max_length=50)
    note: str | None = Field(default=None, max_length=2000)
    plan_id: RecordRef | None = None


class AppointmentUpdate(_Input):
    """A change to an appointment: a move (start, length, practitioner, room), a status, a note.

    Absent fields stay as they are; ``room`` may be set to ``""`` to free the room.
    """

    start: RecordDateTime | None = None
    duration_min: int | None = Field(default=None, ge=5, le=480)
    practitioner_id: RecordRef | None = None
    room: str | None = Field(default=None, max_length=50)
    kind: KindId | None = None
    status: AppointmentStatus | None = None
    note: str | None = Field(default=None, max_length=2000)


class AppointmentDTO(_Out):
    """An appointment as the calendar shows it (no clinical content: reception sees it).

    ``start`` and ``end`` are in the clinic's time zone.
    """

    id: int
    client_id: int
    client_name: str
    client_initials: str
    practitioner_id: int
    practitioner: str
    room: str | None
    start: datetime
    end: datetime
    duration_min: int
    kind: str
    kind_label: str
    status: AppointmentStatus
    note: str | None
    session_id: int | None
    plan_id: int | None
    created_at: datetime
    created_by: str
    updated_at: datetime


class PracticeDayDTO(_Out):
    """One day of the practice as the Today page lists it (no clinical content).

    ``appointments`` are the day's bookings by time (cancelled and no-shows
    included, shown muted); ``walk_ins`` the notes charted that day without a
    booking, by time then name. ``booked_count`` counts the visits that hold
    (bookings not cancelled or missed, and walk-ins); ``mine_count`` those of
    the practitioner viewing.
    """

    day: date
    appointments: list[AppointmentDTO]
    walk_ins: list[ScheduleEntryDTO]
    booked_count: int
    mine_count: int


class CourseSlot(_Out):
    """One session of a plan's course, proposed as an appointment.

    ``refused`` says why it cannot be booked as proposed (a clash, hours, a closed
    day); ``moved_from`` is the course's own date when a closed day moved it.
    """

    n: int
    phase: str
    start: datetime
    duration_min: int
    moved_from: date | None = None
    refused: str | None = None
    clash_id: int | None = None
