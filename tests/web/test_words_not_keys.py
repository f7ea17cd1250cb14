"""Pages show words, never internal keys (``liver_qi_stagnation``) or developer paths.

The demo clinic (a few clients, with intakes, plans, signed sessions, bruises and
ratings) is loaded and every clinical page of each client is read as pat
(practitioner) would see it.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

#: A key: lower-case words joined by underscores (``eye_bags``, ``tmj_pain``).
KEY = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")
#: A developer's path or script name.
DEV = re.compile(r"\b(?:src/acuface|benchmarks/|scripts/|tests/data|[\w/]+\.py)\b")


class _Text(HTMLParser):
    """The text a person reads: no scripts, styles, attributes or hidden data blocks."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "textarea"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "textarea") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(parser.parts)


def test_visible_text_has_no_keys_and_no_developer_paths(web_env, pat) -> None:  # noqa: ANN001
    from acuface.clinic import db
    from acuface.clinic import services as svc
    from acuface.clinic.demo import load_demo
    from acuface.clinic.photostore import LocalPhotoStore
    from acuface.clinic.schemas import Actor

    settings = web_env["settings"]
    engine = db.make_engine(settings.sqlalchemy_url)
    try:
        report = load_demo(
            engine, store=LocalPhotoStore(settings.photo_dir), n_clients=3, analyse=False
        )
        assert not report.skipped
        with db.session_scope(engine) as s:
            actor = Actor.system()
            clients = [c.id for c in svc.list_clients(session=s, actor=actor)]
            plans = [
                p.id for c in clients for p in svc.list_plans(session=s, actor=actor, client_id=c)
            ]
            intakes = [
                i.id for c in clients for i in svc.list_intakes(session=s, actor=actor, client_id=c)
            ]
            visits = [
                v.id
                for c in clients
                for v in svc.list_sessions(session=s, actor=actor, client_id=c)
            ]
    finally:
        engine.dispose()
    urls = ["/atlas", "/atlas/points/ST2", "/today"]
    for c in clients:
        urls += [f"/clients/{c}", f"/clients/{c}/photos", f"/clients/{c}/progress"]
        urls += [f"/clients/{c}/intakes/new", f"/clients/{c}/sessions/new"]
    urls += [f"/plans/{p}" for p in plans] + [f"/intakes/{i}" for i in intakes]
    urls += [f"/sessions/{v}" for v in visits]
    found: dict[str, list[str]] = {}
    for url in urls:
        r = pat.get(url)
        assert r.status_code == 200, url
        text = visible_text(r.text)
        bad = sorted(set(KEY.findall(text)) | set(DEV.findall(text)))
        if bad:
            found[url] = bad
    assert found == {}, "\n".join(f"{u}: {b}" for u, b in found.items())
    assert len(urls) >= 15 and plans and visits


def test_tables_never_break_words_mid_word_and_a_favicon_is_served(anon) -> None:  # noqa: ANN001
    from pathlib import Path

    import acuface

    root = Path(acuface.__file__).parent
    for css in [
        root / "web/static/css/app.css",
        *sorted((root / "reports/templates").glob("*.css")),
    ]:
        text = css.read_text(encoding="utf-8")
        assert "break-all" not in text and "overflow-wrap: anywhere" not in text, css.name
    login_page = anon.get("/login").text
    assert 'rel="icon"' in login_page
    icon = anon.get("/static/img/favicon.svg")
    assert icon.status_code == 200 and b"<svg" in icon.content
