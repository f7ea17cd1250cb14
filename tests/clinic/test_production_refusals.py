"""Production refuses the demo clinic and the published demo password.

Before: ``acuface demo-data`` loaded in ``prod`` too, and the password it prints
(and that the repository shows) then signed in as admin.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from acuface.cli.web import refuse_published_passwords
from acuface.clinic import models as m
from acuface.clinic import services as svc
from acuface.clinic.demo import DEMO_PASSWORD, load_demo
from acuface.clinic.schemas import Actor
from acuface.config import get_settings
from acuface.errors import ConfigError, InvalidRecord


@pytest.fixture
def production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACUFACE_ENV", "prod")
    monkeypatch.setenv("ACUFACE_SECRET_KEY", "p" * 48)
    get_settings.cache_clear()


def test_demo_clinic_is_refused_in_production(engine: sa.Engine, store, production) -> None:  # noqa: ANN001
    with pytest.raises(ConfigError, match="development only"):
        load_demo(engine, store=store, n_clients=2, analyse=False)
    with Session(engine) as s:
        assert s.scalar(sa.select(sa.func.count(m.User.id))) == 0


def test_published_password_signs_nobody_in_in_production(
    session: Session, system: Actor, engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An account made in development with the demo password ...
    svc.create_user(
        session=session, actor=system, username="hana", password=DEMO_PASSWORD, role="admin"
    )
    session.commit()
    assert svc.authenticate(session=session, username="hana", password=DEMO_PASSWORD, ip="x")
    session.commit()
    # ... after the switch to production.
    monkeypatch.setenv("ACUFACE_ENV", "prod")
    monkeypatch.setenv("ACUFACE_SECRET_KEY", "p" * 48)
    get_settings.cache_clear()
    assert (
        svc.authenticate(session=session, username="hana", password=DEMO_PASSWORD, ip="x") is None
    )
    session.commit()
    last = session.scalars(sa.select(m.AuditEntry).order_by(m.AuditEntry.id.desc())).first()
    assert last is not None and last.action == "login_failed"
    assert last.detail == "published demo password"
    assert svc.accounts_with_published_password(session=session) == ["hana"]
    with pytest.raises(ConfigError, match="hana.*set-password"):
        refuse_published_passwords(SimpleNamespace(state=SimpleNamespace(engine=engine)))
    # Nobody can set it again either.
    user = svc.get_user_by_username(session=session, actor=system, username="hana")
    assert user is not None
    with pytest.raises(InvalidRecord, match="published demo password"):
        svc.set_password(session=session, actor=system, user_id=user.id, new_password=DEMO_PASSWORD)
    with pytest.raises(InvalidRecord, match="published demo password"):
        svc.create_user(
            session=session, actor=system, username="lian", password=DEMO_PASSWORD, role="admin"
        )
    svc.set_password(
        session=session, actor=system, user_id=user.id, new_password="a new long passphrase"
    )
    session.commit()
    assert svc.accounts_with_published_password(session=session) == []
    refuse_published_passwords(SimpleNamespace(state=SimpleNamespace(engine=engine)))
