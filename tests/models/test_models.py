"""What the schema itself guarantees, whatever the code above it does."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, StatementError

from surveyapp.models import (
    Mode,
    Org,
    OrgKind,
    Person,
    Recruitment,
    Response,
    Role,
    User,
    Wave,
)
from surveyapp.services.scope import subtree_ids


def _any(db: Any, model: type, *where: Any) -> Any:
    found = db.session.scalars(sa.select(model).where(*where).limit(1)).first()
    assert found is not None, f"demo county has no {model.__name__}"
    return found


def test_response_table_has_no_column_for_ip_browser_account_or_exact_time() -> None:
    columns = {c.name for c in Response.__table__.columns}
    forbidden = {"ip", "ip_address", "user_agent", "user_id", "account_id", "cookie",
                 "session_id", "submitted_at", "created_at", "timestamp"}
    assert columns.isdisjoint(forbidden)
    assert isinstance(Response.__table__.c.submitted_on.type, sa.Date)


def test_an_anonymous_response_cannot_name_its_respondent(db: Any, demo_county: Any) -> None:
    wave = _any(db, Wave)
    village = _any(db, Org, Org.kind == OrgKind.VILLAGE)
    person = _any(db, Person)
    db.session.add(Response(
        wave_id=wave.id, questionnaire_version_id=wave.questionnaire_version_id,
        org_id=village.id, answers={}, submitted_on=date.today(), is_anonymous=True,
        respondent_person_id=person.id, recruitment=Recruitment.POSTER, mode=Mode.SELF,
    ))
    with pytest.raises(IntegrityError):
        db.session.flush()


@pytest.mark.parametrize("role", [Role.ASSESSOR, Role.INTERVIEWER])
def test_scoped_roles_cannot_exist_without_a_scope(db: Any, demo_county: Any, role: Role) -> None:
    user = User(username=f"noscope-{role}", display_name="x", role=role)
    user.set_password("secret")
    db.session.add(user)
    with pytest.raises(IntegrityError):
        db.session.flush()


def test_an_unknown_org_kind_is_refused_by_the_database(db: Any, demo_county: Any) -> None:
    with pytest.raises(IntegrityError):
        db.session.execute(sa.text(
            "INSERT INTO org (code, name, kind, created_at) "
            "VALUES ('X-1', 'x', 'castle', CURRENT_TIMESTAMP)"))


def test_org_codes_are_unique(db: Any, demo_county: Any) -> None:
    existing = _any(db, Org)
    db.session.add(Org(code=existing.code, name="重复", kind=OrgKind.VILLAGE))
    with pytest.raises(IntegrityError):
        db.session.flush()


def test_naive_datetimes_are_refused_so_every_stored_time_is_utc(db: Any, demo_county: Any
                                                                 ) -> None:
    org = _any(db, Org)
    org.retired_at = datetime(2026, 1, 1, 12, 0)
    with pytest.raises(StatementError, match="naive datetime"):
        db.session.flush()


def test_times_come_back_from_the_database_timezone_aware(db: Any, demo_county: Any) -> None:
    org = _any(db, Org)
    db.session.expire(org)
    assert org.created_at.tzinfo is not None


def test_a_subtree_holds_the_org_and_all_its_descendants_only(db: Any, demo_county: Any) -> None:
    township = _any(db, Org, Org.kind.in_([OrgKind.TOWNSHIP, OrgKind.STREET]))
    ids = subtree_ids(township.id)
    assert township.id in ids
    for org in db.session.scalars(sa.select(Org).where(Org.id.in_(ids))):
        node = org
        while node.id != township.id:
            node = node.parent
            assert node is not None, f"{org.code} is not below {township.code}"
    others = db.session.scalars(sa.select(Org).where(Org.id.not_in(ids))).all()
    assert all(o.parent_id not in ids for o in others)


def test_has_answered_rows_carry_no_time_and_no_order_that_could_pair_them_with_ballots(
) -> None:
    from surveyapp.models import Participation

    columns = Participation.__table__.columns
    assert not any(isinstance(c.type, (sa.DateTime, sa.Date)) for c in columns)
    assert isinstance(columns["id"].type, sa.String)
    first, second = (columns["id"].default.arg(None) for _ in range(2))
    assert first != second and len(first) == 32
