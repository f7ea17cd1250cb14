"""The practitioner's day through the pages: client, intake -> plan on the photo,
charting, signing, amendments, adverse events, ratings and the progress charts."""

from __future__ import annotations

import re

import pytest

from consenting import give_consents

from .webhelpers import csrf_of


def _screening_no(**yes: str) -> dict[str, str]:
    from acuface.planner import questionnaire

    out = {
        f"s_{q.id}": "no"
        for q in questionnaire().screening_questions
        if q.kind in ("yes_no", "pregnancy")
    }
    out.update({f"s_{k}": v for k, v in yes.items()})
    return out


@pytest.fixture(scope="module")
def flow(web_env, obama_path):  # noqa: ANN001, ANN201
    """pat creates a client, uploads a frontal photo and saves an intake."""
    from fastapi.testclient import TestClient

    from .webhelpers import login

    c = login(TestClient(web_env["app"], base_url="http://127.0.0.1"), "pat")
    tok = csrf_of(c.get("/clients/new").text)
    r = c.post(
        "/clients",
        data={
            "csrf_token": tok,
            "given_name": "Maria",
            "family_name": "Garcia",
            "birth_date": "1974-05-06",
            "phone": "0171 5550",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    cid = int(r.headers["location"].rsplit("/", 1)[1])
    give_consents(web_env["app"].state.engine, cid)
    r = c.post(
        f"/clients/{cid}/photos",
        data={"csrf_token": tok, "view": "front"},
        files={"file": ("front.jpg", obama_path.read_bytes(), "image/jpeg")},
        follow_redirects=False,
    )
    assert r.status_code == 303
    data = {
        "csrf_token": tok,
        "concern": ["wrinkles", "eye_bags"],
        "priority_wrinkles": "1",
        "priority_eye_bags": "2",
        "age": "52",
        "q_fatigue": "yes",
        "q_poor_appetite": "yes",
        "q_loose_stools": "yes",
        **_screening_no(),
    }
    r = c.post(f"/clients/{cid}/intakes", data=data, follow_redirects=False)
    assert r.status_code == 303, r.text[:800]
    assert r.headers["location"].startswith("/plans/")
    return {"c": c, "cid": cid, "tok": tok, "plan_url": r.headers["location"]}


def test_client_list_search(flow) -> None:  # noqa: ANN001
    c = flow["c"]
    assert "Maria Garcia" in c.get("/clients?q=garc").text
    assert "Maria Garcia" not in c.get("/clients?q=zzzz").text
    rows = c.get("/clients?q=5550", headers={"HX-Request": "true"})  # htmx partial
    assert "Maria Garcia" in rows.text and "<html" not in rows.text


def test_plan_page_shows_the_points_on_the_clients_photo(flow) -> None:  # noqa: ANN001
    c = flow["c"]
    page = c.get(flow["plan_url"]).text
    plan_id = int(flow["plan_url"].rsplit("/", 1)[1])
    plan = c.get(f"/api/plans/{plan_id}").json()["plan"]
    face_codes = {p["code"] for p in plan["points"] if p["region"] != "body"}
    face_map, _, body_chart = page.partition('data-testid="body-chart"')
    drawn = set(re.findall(r'class="pt [^"]*" data-code="([^"]+)"', face_map))
    assert face_codes and drawn <= face_codes
    assert len(drawn) >= len(face_codes) - 3  # a few may be out of view
    assert '<img src="/photos/' in page
    # hover details travel as JSON data (name, location, depth, cautions, reasons)
    info = re.search(
        r'<script type="application/json" id="planmap-info">(.*?)</script>', page, re.S
    )
    assert info and '"depth"' in info.group(1) and '"reasons"' in info.group(1)
    assert "Excluded points" in page and "Course" in page
    body_codes = [p["code"] for p in plan["points"] if p["region"] == "body"]
    for code in body_codes:
        assert f"<strong>{code}</strong>" in page
    # ... and on the body chart, after the face map.
    on_chart = set(re.findall(r'class="pt [^"]*" data-code="([^"]+)"', body_chart))
    assert body_codes and on_chart == set(body_codes)
    handout = c.get(f"/plans/{plan_id}/handout")
    assert handout.status_code == 200 and "Maria Garcia" in handout.text
    # the reports package's handout (its own inline print CSS, so a relaxed style-src)
    assert "unsafe-inline" in handout.headers["content-security-policy"]
    assert "script-src" not in handout.headers["content-security-policy"]
    pdf = c.get(f"/plans/{plan_id}/handout.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_chart_sign_amend_and_record_a_bruise(flow) -> None:  # noqa: ANN001
    c, cid, tok = flow["c"], flow["cid"], flow["tok"]
    form = c.get(f"/clients/{cid}/sessions/new").text
    assert 'data-mode="chart"' in form
    r = c.post(
        f"/clients/{cid}/sessions",
        data={
            "csrf_token": tok,
            "needle_code": ["ST2", "ST2", "LI20"],
            "needle_side": ["left", "left", "right"],
            "needle_count": ["1", "1", "1"],
            "retention_minutes": "25",
            "technique": "0.16x13 mm, transverse",
            "subjective": "slept badly",
            "needles_out": "3",
            "aftercare": ["bruise_care", "medicines_unchanged"],
            "sign_now": "0",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    url = r.headers["location"]
    sid = int(url.rsplit("/", 1)[1])
    s = c.get(f"/api/sessions/{sid}").json()
    assert s["status"] == "draft"
    assert {(n["point_code"], n["side"], n["count"]) for n in s["needles"]} == {
        ("ST2", "left", 2),
        ("LI20", "right", 1),
    }  # repeated clicks add up
    assert s["needles_out"] == 3 and s["aftercare"] == ["bruise_care", "medicines_unchanged"]
    # Signing without the confirmation page's "yes" only asks for confirmation.
    ask = c.post(f"/sessions/{sid}/sign", data={"csrf_token": tok}, follow_redirects=False)
    assert ask.status_code == 303 and ask.headers["location"] == f"/sessions/{sid}/sign"
    assert c.get(f"/api/sessions/{sid}").json()["status"] == "draft"
    r = c.post(
        f"/sessions/{sid}/sign",
        data={"csrf_token": tok, "confirm": "yes"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and c.get(f"/api/sessions/{sid}").json()["status"] == "signed"
    # A signed note is never edited in place ...
    r = c.post(url, data={"csrf_token": tok, "retention_minutes": "40"})
    assert r.status_code == 409
    # ... an amendment is added and the original stays.
    r = c.post(
        f"/sessions/{sid}/amend",
        data={"csrf_token": tok, "text": "Retention was 30 min", "reason": "correction"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = c.get(url).text
    assert "Retention was 30 min" in page and "25 min" in page
    r = c.post(
        f"/clients/{cid}/adverse-events",
        data={
            "csrf_token": tok,
            "kind": "bruising",
            "severity": "mild",
            "point": "ST2:left",
            "session_id": str(sid),
            "description": "small bruise under the left eye",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == url
    events = c.get(f"/api/clients/{cid}/adverse-events").json()
    assert [(e["kind"], e["point_code"], e["side"]) for e in events] == [
        ("bruising", "ST2", "left")
    ]
    timeline = c.get(f"/clients/{cid}").text
    assert "Bruising" in timeline or "bruising" in timeline


def test_ratings_make_a_progress_chart(flow) -> None:  # noqa: ANN001
    c, cid, tok = flow["c"], flow["cid"], flow["tok"]
    for day, value in (("2026-10-01", 3), ("2026-10-15", 5), ("2026-11-01", 7)):
        r = c.post(
            f"/clients/{cid}/ratings",
            data={"csrf_token": tok, "scale": "satisfaction", "value": str(value), "rated_on": day},
            follow_redirects=False,
        )
        assert r.status_code == 303
    page = c.get(f"/clients/{cid}/progress").text
    assert 'class="series s0"' in page
    assert "Satisfaction 0-10: 7 on 2026-11-01" in page
    r = c.post(
        f"/clients/{cid}/ratings", data={"csrf_token": tok, "scale": "gais_client", "value": "9"}
    )
    assert r.status_code == 422  # GAIS is 1-5: the services refuse it


def test_screening_that_blocks_keeps_the_intake_and_says_why(flow) -> None:  # noqa: ANN001
    c, cid, tok = flow["c"], flow["cid"], flow["tok"]
    data = {
        "csrf_token": tok,
        "concern": ["wrinkles"],
        "age": "52",
        **_screening_no(active_infection="yes"),
    }
    r = c.post(f"/clients/{cid}/intakes", data=data, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/intakes/")
    page = c.get(r.headers["location"]).text
    assert "no plan was made" in page and "infection" in page


def test_incomplete_screening_is_refused_with_a_clear_message(flow) -> None:  # noqa: ANN001
    c, cid, tok = flow["c"], flow["cid"], flow["tok"]
    r = c.post(f"/clients/{cid}/intakes", data={"csrf_token": tok, "concern": ["wrinkles"]})
    assert r.status_code == 422
    assert "Answer every safety-screening question" in r.text
