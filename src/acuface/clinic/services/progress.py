"""One client's progress as one read model: :class:`ProgressSummary`.

The progress page and the printable progress report are two templates over
this one object: the sessions, adverse events, ratings grouped into charts,
every skin measurement's first -> latest change judged against the metric's
measured noise, and the frontal photos. Everything is read through the
services, so every read is audited and the caller's role is checked.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, lazyload

from acuface.clinic import models as m
from acuface.clinic.access import Action
from acuface.clinic.schemas import RATING_SCALES, Actor, MeasurementDTO, PhotoDTO
from acuface.clinic.services._common import list_client_rows
from acuface.clinic.services.adverse_events import list_adverse_events
from acuface.clinic.services.clients import get_client
from acuface.clinic.services.intakes import latest_plan
from acuface.clinic.services.outcomes import list_measurements, list_ratings
from acuface.clinic.services.photos import list_photos
from acuface.clinic.services.sessions import session_counts
from acuface.locator.snapshot import face_box
from acuface.skin.repeatability import noise_verdict

#: Skin metrics shown first when present: the ones practitioners ask about most.
PREFERRED_METRICS = ("wrinkle_index", "line_density_mm_per_cm2", "redness_a", "L_mean")

Points = list[tuple[date, float]]


@dataclass(frozen=True)
class SessionRow:
    """One treatment session, without its notes."""

    session_date: date
    practitioner: str
    points: list[str]
    needle_count: int
    signed: bool
    signed_on: date | None
    amendments: int
    #: Point code -> the sides it was needled on (``left``, ``right``, ``midline``).
    sides: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class EventRow:
    """One adverse event."""

    kind: str
    severity: str
    onset_date: date
    resolved_date: date | None
    site: str | None


@dataclass(frozen=True)
class MeasurementChange:
    """First vs latest value of one metric in one region.

    ``noise`` is the repeatability coefficient (None when never measured);
    ``beyond`` is None when there is no verdict (one value, or no noise data).
    """

    metric: str
    region: str
    first_on: date
    first: float
    latest_on: date
    latest: float
    n: int
    noise: float | None
    beyond: bool | None
    unit: str | None = None

    @property
    def change(self) -> float:
        """Latest minus first value."""
        return self.latest - self.first


@dataclass(frozen=True)
class RatingGroup:
    """The rated scales that share one axis (0-10 scales, or GAIS 1-5)."""

    title: str
    note: str
    y_min: int
    y_max: int
    series: dict[str, Points]

    @property
    def n(self) -> int:
        """Number of ratings drawn."""
        return sum(len(points) for points in self.series.values())


#: (top of the scale, bottom of the axis, title, how to read it) of each chart.
RATING_GROUPS: tuple[tuple[int, int, str, str], ...] = (
    (
        10,
        0,
        "Ratings 0–10",
        "Jaw pain: lower is better. Elasticity and satisfaction: higher is better.",
    ),
    (
        5,
        1,
        "Global Aesthetic Improvement Scale (GAIS)",
        "1 very much improved, 2 much improved, 3 improved, 4 no change, 5 worse: lower is better.",
    ),
)


@dataclass(frozen=True)
class ProgressSummary:
    """Everything the progress page and the progress report show about one client."""

    client_id: int
    client_name: str
    birth_date: date | None
    sessions: list[SessionRow]
    adverse_events: list[EventRow]
    ratings: dict[str, Points]
    measurements: list[MeasurementChange]
    measurement_series: dict[str, dict[str, Points]] = field(default_factory=dict)
    front_photos: list[PhotoDTO] = field(default_factory=list)
    plan_summary: str | None = None

    @property
    def course_start(self) -> date | None:
        """Date of the first session, if any."""
        return self.sessions[0].session_date if self.sessions else None

    @property
    def course_end(self) -> date | None:
        """Date of the latest session, if any."""
        return self.sessions[-1].session_date if self.sessions else None

    @property
    def needled_sides(self) -> dict[str, list[str]]:
        """Every point needled over the course -> the sides it was needled on.

        In the order the points were first needled; sides sorted.
        """
        out: dict[str, set[str]] = {}
        for row in self.sessions:
            for code in row.points:
                out.setdefault(code, set()).update(row.sides.get(code, ()))
        return {code: sorted(v) for code, v in out.items()}

    @property
    def n_front_photos(self) -> int:
        """Number of frontal photos."""
        return len(self.front_photos)

    @property
    def n_ratings(self) -> int:
        """Number of outcome ratings."""
        return sum(len(points) for points in self.ratings.values())

    @property
    def n_measurements(self) -> int:
        """Number of stored measurement values."""
        return sum(len(p) for regions in self.measurement_series.values() for p in regions.values())

    @property
    def rating_groups(self) -> list[RatingGroup]:
        """One group per chart axis, in :data:`RATING_GROUPS` order (empty ones left out)."""
        groups = []
        for y_max, y_min, title, note in RATING_GROUPS:
            series = {
                RATING_SCALES[s].label: self.ratings[s]
                for s in RATING_SCALES
                if RATING_SCALES[s].max_value == y_max and self.ratings.get(s)
            }
            if series:
                groups.append(RatingGroup(title, note, y_min, y_max, series))
        return groups

    @property
    def metrics(self) -> list[str]:
        """Measured metrics, sorted."""
        return sorted(self.measurement_series)

    def choose_metric(
        self, metric: str | None = None, region: str | None = None
    ) -> tuple[str | None, str | None]:
        """Return the (metric, region) to chart: as asked if measured, else a preferred one."""
        series = self.measurement_series
        chosen = metric if metric in series else None
        if chosen is None:
            chosen = next((m for m in PREFERRED_METRICS if m in series), None)
        if chosen is None and series:
            chosen = self.metrics[0]
        if chosen is None:
            return None, None
        regions = sorted(series[chosen])
        return chosen, region if region in series[chosen] else regions[0]

    def changes(self, metrics: Iterable[str]) -> list[MeasurementChange]:
        """Return the first -> latest changes of these metrics, in that metric order."""
        order = list(metrics)
        rows = [row for row in self.measurements if row.metric in order]
        return sorted(rows, key=lambda row: (order.index(row.metric), row.region))

    def photo_pair(
        self, before: int | None = None, after: int | None = None
    ) -> tuple[PhotoDTO, PhotoDTO] | None:
        """Return the photos to compare: as asked, else the first and the latest frontal."""
        if len(self.front_photos) < 2:
            return None
        by_id = {p.id: p for p in self.front_photos}
        return (
            by_id.get(before or -1, self.front_photos[0]),
            by_id.get(after or -1, self.front_photos[-1]),
        )


def photo_face_box(photo: PhotoDTO, *, margin: float) -> tuple[int, int, int, int] | None:
    """Box ``(x0, y0, width, height)`` around the photo's located face, or None."""
    primary = photo.face_map.primary if photo.face_map is not None else None
    if primary is None:
        return None
    return face_box(primary.points, photo.width, photo.height, margin=margin)


def measurement_changes(measurements: Sequence[MeasurementDTO]) -> list[MeasurementChange]:
    """Return every metric's first -> latest change per region, judged against its noise."""
    series: dict[tuple[str, str], list[tuple[datetime, float, str | None]]] = defaultdict(list)
    for x in measurements:
        series[(x.metric, x.region)].append((x.measured_at, float(x.value), x.unit))
    rows: list[MeasurementChange] = []
    for (metric, region), pts in sorted(series.items()):
        pts.sort(key=lambda p: p[0])
        rc, beyond = noise_verdict(f"{region}.{metric}", pts[-1][1] - pts[0][1], n=len(pts))
        rows.append(
            MeasurementChange(
                metric=metric,
                region=region,
                first_on=pts[0][0].date(),
                first=pts[0][1],
                latest_on=pts[-1][0].date(),
                latest=pts[-1][1],
                n=len(pts),
                noise=rc,
                beyond=beyond,
                unit=pts[-1][2],
            )
        )
    return rows


def session_rows(*, session: Session, actor: Actor, client_id: int) -> list[SessionRow]:
    """Return a client's sessions as progress rows, oldest first (the listing is audited).

    The points, needle totals and amendment counts are aggregated by the database
    (the counts by :func:`~acuface.clinic.services.sessions.session_counts`, as on the
    sessions list): loading every needle of every session as objects made a client
    with 200 sessions (about 4,000 needle rows) cost over half a second per progress page.
    """
    visits = list_client_rows(
        session,
        actor,
        model=m.TreatmentSession,
        client_id=client_id,
        order_by=(m.TreatmentSession.session_date, m.TreatmentSession.id),
        record_type="session",
        action=Action.READ_SESSIONS,
        options=(lazyload(m.TreatmentSession.needles), lazyload(m.TreatmentSession.amendments)),
    )
    needle = m.SessionNeedle
    of_client = select(m.TreatmentSession.id).where(m.TreatmentSession.client_id == client_id)
    first: dict[int, dict[str, int]] = defaultdict(dict)
    sides: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for sid, code, side, first_id in session.execute(
        select(needle.session_id, needle.point_code, needle.side, func.min(needle.id))
        .where(needle.session_id.in_(of_client))
        .group_by(needle.session_id, needle.point_code, needle.side)
        .order_by(needle.session_id, needle.point_code, needle.side)
    ):
        first[sid][code] = min(first_id, first[sid].get(code, first_id))
        sides[sid][code].append(side)
    points = {sid: [(i, code) for code, i in codes.items()] for sid, codes in first.items()}
    counted = session_counts()
    counts = {
        sid: (int(needles), int(amendments))
        for sid, needles, amendments in session.execute(
            select(m.TreatmentSession.id, counted.needle_total, counted.amendment_count).where(
                m.TreatmentSession.client_id == client_id
            )
        )
    }
    rows = []
    for s in sorted(
        visits, key=lambda v: (v.session_date, v.start_time or datetime.min.time(), v.id)
    ):
        charted = sorted(points.get(s.id, ()))  # in charting order (first needle of each point)
        needle_count, amendments = counts.get(s.id, (0, 0))
        rows.append(
            SessionRow(
                session_date=s.session_date,
                practitioner=s.practitioner.display_name,
                points=[code for _, code in charted],
                needle_count=needle_count,
                signed=s.status == "signed",
                signed_on=s.signed_at.date() if s.signed_at else None,
                amendments=amendments,
                sides=dict(sides.get(s.id, {})),
            )
        )
    return rows


def progress_summary(*, session: Session, actor: Actor, client_id: int) -> ProgressSummary:
    """Gather one client's progress through the services (each read is audited).

    Raises
    ------
    NotFound
        Unknown or deleted client.
    PermissionDenied
        The actor may not read clinical records.
    """
    client = get_client(session=session, actor=actor, client_id=client_id)
    sessions = session_rows(session=session, actor=actor, client_id=client_id)
    events = sorted(
        list_adverse_events(session=session, actor=actor, client_id=client_id),
        key=lambda e: (e.onset_date, e.id),
    )
    ratings: dict[str, Points] = defaultdict(list)
    for r in list_ratings(session=session, actor=actor, client_id=client_id):
        ratings[r.scale].append((r.rated_on, float(r.value)))
    measurements = list_measurements(session=session, actor=actor, client_id=client_id)
    series: dict[str, dict[str, Points]] = defaultdict(lambda: defaultdict(list))
    for x in measurements:
        series[x.metric][x.region].append((x.measured_at.date(), x.value))
    fronts = sorted(
        (p for p in list_photos(session=session, actor=actor, client_id=client_id)),
        key=lambda p: (p.compared_on, p.added_at, p.id),
    )
    plan = latest_plan(session=session, actor=actor, client_id=client_id)
    plan_summary = None
    if plan is not None:
        needles = f", {plan.needle_count} needles" if plan.needle_count else ""
        plan_summary = (
            f"Plan of {plan.created_at:%d %b %Y}{needles} (planner {plan.planner_version})"
        )
    return ProgressSummary(
        client_id=client.id,
        client_name=client.name,
        birth_date=client.birth_date,
        sessions=sessions,
        adverse_events=[
            EventRow(
                kind=e.kind,
                severity=e.severity,
                onset_date=e.onset_date,
                resolved_date=e.resolved_date,
                site=" ".join(x for x in (e.point_code, e.side) if x) or None,
            )
            for e in events
        ],
        ratings=dict(ratings),
        measurements=measurement_changes(measurements),
        measurement_series={metric: dict(regions) for metric, regions in series.items()},
        front_photos=[p for p in fronts if p.view == "front"],
        plan_summary=plan_summary,
    )
