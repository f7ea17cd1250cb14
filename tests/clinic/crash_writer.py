"""Child process for test_crash_safety: writes sessions and photos until killed.

Usage: python crash_writer.py URL SEARCH_PATH|- STORE_DIR PORTRAIT...
Prints "committed N" after each commit, so the parent knows how far it got.
"""

from __future__ import annotations

import io
import sys
from datetime import date
from pathlib import Path

from PIL import Image

from acuface.clinic import db
from acuface.clinic import services as svc
from acuface.clinic.photostore import LocalPhotoStore
from acuface.clinic.schemas import Actor, ClientCreate, NeedleIn, SessionCreate

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the shared helpers
from consenting import give_consents  # noqa: E402


def main() -> None:
    url, search_path, store_dir, *portraits = sys.argv[1:]
    kwargs = (
        {} if search_path == "-" else {"connect_args": {"options": f"-csearch_path={search_path}"}}
    )
    engine = db.make_engine(url, **kwargs)
    store = LocalPhotoStore(store_dir)
    actor = Actor.system(source="crash-test")
    with db.session_scope(engine) as s:
        user = svc.create_user(
            session=s,
            actor=actor,
            username="writer",
            password="long enough pw",
            role="practitioner",
        )
        client = svc.create_client(
            session=s, actor=actor, data=ClientCreate(given_name="Crash", family_name="Test")
        )
        give_consents(s, client.id, actor=actor)
    pract = Actor.from_user(user, source="crash-test")
    images = [Image.open(p).convert("RGB") for p in portraits]
    i = 0
    while True:
        img = images[i % len(images)].copy()
        img.putpixel(
            (i % img.width, (i // img.width) % img.height), (i % 256, 0, 255)
        )  # unique bytes
        buf = io.BytesIO()
        img.save(buf, format="PNG")
        with db.session_scope(engine) as s:
            ts = svc.create_session(
                session=s,
                actor=pract,
                client_id=client.id,
                data=SessionCreate(
                    session_date=date(2026, 3, 1),
                    retention_minutes=20,
                    needles=[
                        NeedleIn(point_code="ST6", side="left"),
                        NeedleIn(point_code="ST6", side="right"),
                        NeedleIn(point_code="LI20", side="left", count=2),
                    ],
                    needles_out=4,
                ),
            )
            svc.add_photo(
                session=s,
                actor=pract,
                client_id=client.id,
                data=buf.getvalue(),
                session_id=ts.id,
                analyse=False,
                store=store,
            )
            svc.sign_session(session=s, actor=pract, session_id=ts.id)
        i += 1
        print(f"committed {i}", flush=True)


if __name__ == "__main__":
    main()
