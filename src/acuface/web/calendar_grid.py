"""The calendar grid: appointments laid out as an HTML table of 15-minute rows.

A table, not positioned boxes: an appointment is one cell spanning its rows
(``rowspan``), so the page needs no inline styles (CSP ``style-src 'self'``) and no
script, and reads in order with a screen reader. Columns are one practitioner on
one day (day view: the practitioners side by side; week view: the days, each with
its practitioners).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from acuface.clinic.schemas import HOLDING_STATUSES, AppointmentDTO, ClinicSettingsDTO, UserDTO

#: Minutes per row.
SLOT_MIN = 15


@dataclass
class Cell:
    """One cell of the grid: an appointment (spanning rows), a free slot, or closed time."""

    kind: str  # "appointment" | "free" | "closed"
    start: datetime
    rowspan: int = 1
    appointment: AppointmentDTO | None = None
    #: A closed cell inside a break between two opening intervals: ``"12:30-13:30"``.
    gap: str | None = None
    #: Whether it is the break's first row (where the grid writes "closed").
    gap_first: bool = False


@dataclass
class Column:
    """One practitioner on one day."""

    day: date
    practitioner: UserDTO
    closed: str | None
    cells: dict[int, Cell] = field(default_factory=dict)  # row index -> cell (covered rows absent)


@dataclass
class Grid:
    """Rows (times) × columns; ``rows[i]`` is the wall-clock time of row *i*."""

    days: list[date]
    practitioners: list[UserDTO]
    rows: list[time]
    columns: list[Column]
    others: list[AppointmentDTO]  # cancelled and no-shows (listed under the grid)


def _row_range(days: list[date], cs: ClinicSettingsDTO) -> tuple[time, time]:
    opens = [cs.hours_on(d).opens for d in days if cs.hours_on(d).opens]
    closes = [cs.hours_on(d).closes for d in days if cs.hours_on(d).closes]
    lo = min(opens) if opens else time(9)  # type: ignore[type-var]
    hi = max(closes) if closes else time(18)  # type: ignore[type-var]
    return lo, hi  # type: ignore[return-value]


def build_grid(
    *,
    days: list[date],
    practitioners: list[UserDTO],
    appointments: list[AppointmentDTO],
    cs: ClinicSettingsDTO,
) -> Grid:
    """Lay *appointments* out on *days* × *practitioners*.

    Parameters
    ----------
    days : list of date
        One day (day view) or seven (week view).
    practitioners : list of UserDTO
        The columns of each day, in order.
    appointments : list of AppointmentDTO
        The range's appointments (any status); cancelled ones and no-shows go to
        ``others``, since they hold no slot.
    cs : ClinicSettingsDTO
        Opening hours and closed days (closed time is shown, not bookable).

    Returns
    -------
    Grid
    """
    lo, hi = _row_range(days, cs)
    first = datetime.combine(days[0], lo)
    n_rows = max(1, int((datetime.combine(days[0], hi) - first).total_seconds() // 60) // SLOT_MIN)
    rows = [(first + timedelta(minutes=SLOT_MIN * i)).time() for i in range(n_rows)]
    columns: list[Column] = []
    by_key: dict[tuple[date, int], Column] = {}
    for day in days:
        hours = cs.hours_on(day)
        for p in practitioners:
            col = Column(day=day, practitioner=p, closed=cs.closed_reason(day))
            for i, t in enumerate(rows):
                start = datetime.combine(day, t, tzinfo=cs.zone)
                end = start + timedelta(minutes=SLOT_MIN)
                # The same test as a booking's (entirely inside one interval), so a
                # lunch gap shows as closed rows between the open ones.
                open_now = (
                    col.closed is None
                    and end.date() == day
                    and hours.interval_holding(t, end.time()) is not None
                )
                cell = Cell(kind="free" if open_now else "closed", start=start)
                if not open_now and col.closed is None:
                    for shut, reopen in hours.gaps():
                        if t < reopen and (end.time() > shut or end.date() != day):
                            cell.gap = f"{shut:%H:%M}-{reopen:%H:%M}"
                            cell.gap_first = t <= shut or i == 0
                col.cells[i] = cell
            columns.append(col)
            by_key[(day, p.id)] = col
    others: list[AppointmentDTO] = []
    for a in appointments:
        target = by_key.get((a.start.date(), a.practitioner_id))
        if a.status not in HOLDING_STATUSES or target is None:
            if a.status not in HOLDING_STATUSES:
                others.append(a)
            continue
        col = target
        minutes = (
            a.start - datetime.combine(a.start.date(), lo, tzinfo=a.start.tzinfo)
        ).total_seconds() / 60
        row = max(0, int(minutes // SLOT_MIN))
        last = min(n_rows, max(row + 1, -(-int(minutes + a.duration_min) // SLOT_MIN)))
        while row < last and row not in col.cells:
            row += 1  # a row already covered by an earlier, overlapping appointment
        if row >= last:
            others.append(a)
            continue
        span = 0
        for r in range(row, last):
            if r not in col.cells or col.cells[r].kind == "appointment":
                break
            span += 1
        for r in range(row + 1, row + span):
            del col.cells[r]
        col.cells[row] = Cell(kind="appointment", start=a.start, rowspan=span, appointment=a)
    return Grid(days=days, practitioners=practitioners, rows=rows, columns=columns, others=others)
