"""Needle totals and amendment counts: the sessions list, progress and timeline agree.

Before, each of the three pages counted them with its own query (a correlated
subquery, a GROUP BY per session and point, a GROUP BY per session); now all three
select ``sessions.session_counts()``. Mara's record has what could make them
differ: a signed session amended twice (the second amendment corrects the needle
list, which must not change the signed total), a draft whose needles were replaced
by fewer (the removed rows must not count), a draft with no needles, and another
client's session beside hers (it must not leak in). ``get_session`` counts the
loaded needle rows in Python, the independent reference.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy.orm import Session

from acuface.clinic import services as svc
from acuface.clinic.schemas import Actor, ClientCreate, NeedleIn, SessionCreate, SessionUpdate
from acuface.clinic.services.progress import session_rows


def _needles(*charted: str) -> list[NeedleIn]:
    """``"ST6 left 3"`` -> three needles at ST6 on the left (the count defaults to 1)."""
    rows = []
    for entry in charted:
        code, side, *count = entry.split()
        rows.append(NeedleIn(point_code=code, side=side, count=int(count[0]) if count else 1))
    return rows


def _session(session: Session, pat: Actor, client_id: int, day: int, *charted: str):  # noqa: ANN202
    return svc.create_session(
        session=session,
        actor=pat,
        client_id=client_id,
        data=SessionCreate(session_date=date(2026, 3, day), needles=_needles(*charted)),
    )


@pytest.mark.usefixtures("client_consents")
def test_sessions_list_progress_and_timeline_count_the_same(
    session: Session, pat: Actor, client_id: int
) -> None:
    signed = _session(session, pat, client_id, 2, "ST6 left", "ST6 right", "LI20 left 3")
    svc.update_session(
        session=session, actor=pat, session_id=signed.id, data=SessionUpdate(needles_out=5)
    )
    svc.sign_session(session=session, actor=pat, session_id=signed.id)
    svc.amend_session(session=session, actor=pat, session_id=signed.id, text="Ache 2/10 by phone.")
    svc.amend_session(
        session=session,
        actor=pat,
        session_id=signed.id,
        text="LI20 was one needle, not three.",
        needles=_needles("ST6 left", "LI20 left"),
    )
    trimmed = _session(session, pat, client_id, 9, "GB14 left", "GB14 right", "ST2 left 2")
    svc.set_needles(
        session=session, actor=pat, session_id=trimmed.id, needles=_needles("GB14 left")
    )
    empty = _session(session, pat, client_id, 16)
    other = svc.create_client(
        session=session, actor=pat, data=ClientCreate(given_name="Ines", family_name="Okafor")
    )
    _session(session, pat, other.id, 9, "ST6 left 4")
    session.commit()
    # (needle total, amendments) by session, as charted and amended above.
    expected = {signed.id: (5, 2), trimmed.id: (1, 0), empty.id: (0, 0)}

    reference = {
        sid: (dto.needle_total, len(dto.amendments))
        for sid in expected
        for dto in [svc.get_session(session=session, actor=pat, session_id=sid)]
    }
    listed = {
        row.id: (row.needle_total, row.amendment_count)
        for row in svc.page_sessions(session=session, actor=pat, client_id=client_id).items
    }
    by_day = {2: signed.id, 9: trimmed.id, 16: empty.id}
    rows = session_rows(session=session, actor=pat, client_id=client_id)
    progress = {by_day[row.session_date.day]: (row.needle_count, row.amendments) for row in rows}
    timeline = svc.client_timeline(session=session, actor=pat, client_id=client_id)
    titled = {
        e.record_id: int(re.fullmatch(r"Session, (\d+) needles \(\w+\)", e.title)[1])  # type: ignore[index]
        for e in timeline
        if e.kind == "session"
    }
    amended = [int(e.title.rsplit(" ", 1)[1]) for e in timeline if e.kind == "amendment"]
    on_timeline = {sid: (titled[sid], amended.count(sid)) for sid in titled}
    assert reference == listed == progress == on_timeline == expected
    # The progress rows' points still come in charting order, removed ones gone.
    points = {by_day[row.session_date.day]: row.points for row in rows}
    assert points == {signed.id: ["ST6", "LI20"], trimmed.id: ["GB14"], empty.id: []}
