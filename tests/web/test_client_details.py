"""Client details: e-mail and birth date checked, phones normalised, duplicates warned
about (never refused), archived clients restored by an admin.

pat (practitioner) and rita (reception) edit clients; ada (admin) restores archived ones.
"""

from __future__ import annotations

from datetime import date, timedelta

from .webhelpers import api_token, csrf_of


def _create(client, **fields):  # noqa: ANN001, ANN003, ANN202
    return client.post(
        "/api/clients",
        headers={"X-CSRF-Token": api_token(client)},
        json={"given_name": "Ivo", "family_name": "Novak", **fields},
    )


def test_email_birth_date_and_phone_are_checked_and_normalised(rita) -> None:  # noqa: ANN001
    ok = _create(rita, email="Ivo.Novak@Example.ORG", phone="020 7946 0958")
    assert ok.status_code == 201, ok.text
    assert ok.json()["phone"] == "+44 20 7946 0958"  # default region GB, stored international
    assert ok.json()["email"] == "Ivo.Novak@example.org"
    abroad = _create(rita, phone="+49 170 1234567")
    assert abroad.json()["phone"] == "+49 170 1234567"
    for field, value, says in (
        ("email", "ivo@", "e-mail address"),
        ("email", "ivo novak@example.org", "e-mail address"),
        ("phone", "12", "too few or too many digits"),
        ("phone", "call me", "not a phone number"),
        ("birth_date", date.today().isoformat(), "in the past"),
        ("birth_date", "1880-02-02", "in the past"),
    ):
        r = _create(rita, **{field: value})
        assert r.status_code == 422 and says in r.text, (field, value, r.text)
    # The form keeps the values and shows the message beside the field.
    page = rita.get("/clients/new")
    form = rita.post(
        "/clients",
        data={
            "csrf_token": csrf_of(page.text),
            "given_name": "Ivo",
            "family_name": "Novak",
            "email": "ivo@",
        },
    )
    assert form.status_code == 422 and "e-mail address" in form.text and 'value="ivo@"' in form.text


def test_a_likely_duplicate_is_a_warning_not_a_refusal(pat) -> None:  # noqa: ANN001
    born = (date.today() - timedelta(days=365 * 40)).isoformat()
    first = _create(pat, given_name="Sara", family_name="Lind", birth_date=born).json()
    page = pat.get("/clients/new")
    r = pat.post(
        "/clients",
        data={
            "csrf_token": csrf_of(page.text),
            "given_name": "sara ",
            "family_name": "LIND",
            "birth_date": born,
        },
    )
    assert r.status_code == 200  # created all the same
    assert "Possible duplicate" in r.text and f'href="/clients/{first["id"]}"' in r.text
    other = _create(pat, given_name="Sara", family_name="Lind").json()  # no birth date
    assert "Possible duplicate" not in pat.get(f"/clients/{other['id']}").text


def test_the_api_warns_of_a_likely_duplicate_and_creates_it_all_the_same(rita) -> None:  # noqa: ANN001
    born = (date.today() - timedelta(days=365 * 33)).isoformat()
    first = _create(rita, given_name="Noor", family_name="Haddad", birth_date=born)
    assert first.status_code == 201 and first.json()["warnings"] == []
    again = _create(rita, given_name=" noor", family_name="HADDAD", birth_date=born)
    assert again.status_code == 201, again.text
    body = again.json()
    assert body["id"] != first.json()["id"]  # saved: a warning, not a block
    [warning] = body["warnings"]
    assert warning["kind"] == "possible_duplicate"
    assert warning["client_id"] == first.json()["id"]
    assert f"#{first.json()['id']}" in warning["message"]
    # The same name with another birth date is someone else: no warning.
    other = _create(rita, given_name="Noor", family_name="Haddad", birth_date="1970-05-05")
    assert other.status_code == 201 and other.json()["warnings"] == []
    # The record read back is the client, without the warnings of the moment it was made.
    assert "warnings" not in rita.get(f"/api/clients/{body['id']}").json()


def test_an_update_that_makes_a_likely_duplicate_warns_and_saves_all_the_same(rita) -> None:  # noqa: ANN001
    born = (date.today() - timedelta(days=365 * 51)).isoformat()
    first = _create(rita, given_name="Aino", family_name="Virtanen", birth_date=born).json()
    second = _create(rita, given_name="Aino", family_name="Virtanen").json()  # no birth date yet

    def patch(fields):  # noqa: ANN001, ANN202
        return rita.patch(
            f"/api/clients/{second['id']}",
            headers={"X-CSRF-Token": api_token(rita)},
            json=fields,
        )

    harmless = patch({"notes": "prefers mornings"})
    assert harmless.status_code == 200 and harmless.json()["warnings"] == []
    # Adding the birth date makes the two look like one person: saved, and warned about
    # in the words of the create path.
    dated = patch({"birth_date": born})
    assert dated.status_code == 200, dated.text
    assert dated.json()["birth_date"] == born
    [warning] = dated.json()["warnings"]
    assert warning["kind"] == "possible_duplicate" and warning["client_id"] == first["id"]
    assert warning["message"].startswith(f"Possible duplicate: client #{first['id']} (Aino ")
    # The answer is documented: PATCH names the same model as POST, with its warnings.
    schema = rita.app.openapi()
    ops = schema["paths"]["/api/clients/{client_id}"]["patch"]
    ref = ops["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    post = schema["paths"]["/api/clients"]["post"]["responses"]["201"]
    assert ref == post["content"]["application/json"]["schema"]["$ref"]
    model = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert "warnings" in model["properties"]


def test_an_archived_client_opens_a_restore_screen_for_admins(pat, ada, rita) -> None:  # noqa: ANN001
    c = _create(pat, given_name="Olle", family_name="Berg").json()
    page = pat.get(f"/clients/{c['id']}")
    pat.post(
        f"/clients/{c['id']}/delete",
        data={"csrf_token": csrf_of(page.text), "retention_note": "moved away; keep 10 years"},
    )
    listed = ada.get("/clients?deleted=true&q=Berg")
    assert f'href="/clients/{c["id"]}"' in listed.text
    screen = ada.get(f"/clients/{c['id']}")
    assert screen.status_code == 200 and 'data-testid="restore-screen"' in screen.text
    assert "moved away; keep 10 years" in screen.text
    tok = csrf_of(screen.text)
    assert pat.post(f"/clients/{c['id']}/restore", data={"csrf_token": tok}).status_code == 403
    r = ada.post(f"/clients/{c['id']}/restore", data={"csrf_token": tok}, follow_redirects=False)
    assert r.status_code == 303
    assert "archived" not in ada.get(f"/clients/{c['id']}").text.split("<h1>")[1].split("</h1>")[0]
    assert pat.get(f"/api/clients/{c['id']}").status_code == 200
    assert rita.get(f"/clients/{c['id']}").status_code == 200
