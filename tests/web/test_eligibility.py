"""Admins set who may vote in a 民主测评 wave: a CSV of person codes, by CLI or on the wave page."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from surveyapp.models import AuditEntry, Eligibility, Org, Person, User
from surveyapp.services import ballots
from tests.web.test_auth import csrf_token
from tests.web.test_waves_admin import new_wave

BALLOT = "cb-test"


def cadres_of(db: Any, township: str = "QY01", count: int = 3) -> list[Person]:
    """Current cadres of a township's subtree, by code."""
    top = db.session.scalar(sa.select(Org).where(Org.code == township))
    return [p for p in db.session.scalars(
        sa.select(Person).where(Person.is_cadre, Person.retired_at.is_(None))
        .order_by(Person.code)) if _under(p.org, top)][:count]


def _under(org: Org | None, top: Org) -> bool:
    while org is not None and org.id != top.id:
        org = org.parent
    return org is not None


def eligible(db: Any, wave_id: int) -> set[str]:
    return set(db.session.scalars(
        sa.select(Person.code).join(Eligibility, Eligibility.person_id == Person.id)
        .where(Eligibility.wave_id == wave_id)))


def test_read_codes_takes_the_first_column_and_skips_a_header_and_blank_lines():
    text = "\ufeff人员编码,姓名\nP001,张三\n\n P002 ,李四\nP003\n"
    assert ballots.read_codes(text) == [(2, "P001"), (4, "P002"), (5, "P003")]


def test_the_cli_sets_exactly_the_listed_voters(runner, db, tmp_path: Path):
    wave = new_wave(BALLOT, "cadre_ballot", ("QY01",))
    first, second, third = cadres_of(db)
    path = tmp_path / "voters.csv"
    path.write_text(f"code\n{first.code}\n{second.code}\n", encoding="utf-8")
    result = runner.invoke(args=["waves", "voters", "--wave", BALLOT, str(path)])
    assert result.exit_code == 0, result.output
    assert eligible(db, wave.id) == {first.code, second.code}
    path.write_text(f"{second.code}\n{third.code}\n", encoding="utf-8")
    assert runner.invoke(args=["waves", "voters", "--wave", BALLOT, str(path)]).exit_code == 0
    assert eligible(db, wave.id) == {second.code, third.code}  # replaced, not added


def test_unknown_or_outside_codes_are_reported_by_line_and_nothing_is_written(
        runner, db, tmp_path: Path):
    wave = new_wave(BALLOT, "cadre_ballot", ("QY01",))
    inside = cadres_of(db)[0]
    outside = cadres_of(db, "QY02", 1)[0]
    path = tmp_path / "voters.csv"
    path.write_text(f"{inside.code}\nNOBODY\n{outside.code}\n", encoding="utf-8")
    result = runner.invoke(args=["waves", "voters", "--wave", BALLOT, str(path)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert lines[0] == f"{path}:2: 没有编码为 NOBODY 的人员"
    assert lines[1].startswith(f"{path}:3: 人员 {outside.code}") and "不属于" in lines[1]
    assert "Traceback" not in result.output
    assert eligible(db, wave.id) == set()


@pytest.mark.parametrize("args", [
    ["waves", "voters", "--wave", "no-such-wave", "{path}"],
    ["waves", "voters", "--wave", "ca-test", "{path}"],
    ["waves", "voters", "--wave", BALLOT, "{missing}"],
])
def test_a_wrong_wave_or_file_is_one_line_and_exit_2(runner, db, tmp_path: Path, args):
    new_wave(BALLOT, "cadre_ballot", ("QY01",))
    new_wave("ca-test")
    path = tmp_path / "voters.csv"
    path.write_text(cadres_of(db)[0].code + "\n", encoding="utf-8")
    args = [a.format(path=path, missing=tmp_path / "missing.csv") for a in args]
    result = runner.invoke(args=args)
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output


def test_an_admin_pastes_voters_on_the_wave_page_and_they_get_the_ballot(
        client: FlaskClient, login_as: Any, db: Any) -> None:
    wave = new_wave(BALLOT, "cadre_ballot", ("QY01",))
    voter = db.session.scalar(sa.select(User).where(User.username == "cadre-t01")).person
    login_as("admin")
    page = client.get(f"/admin/waves/{BALLOT}").get_data(as_text=True)
    assert "参评人员" in page and "尚未设定参评人员" in page
    reply = client.post(f"/admin/waves/{BALLOT}/voters", data={
        "csrf_token": csrf_token(client, f"/admin/waves/{BALLOT}"), "codes": f"{voter.code}\n"})
    assert reply.status_code == 302
    assert eligible(db, wave.id) == {voter.code}
    assert voter.name in client.get(f"/admin/waves/{BALLOT}").get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "wave.voters")) == 1
    cadre = db.session.scalar(sa.select(User).where(User.username == "cadre-t01"))
    assert [t for t in ballots.tasks_for(cadre) if t.wave_code == BALLOT]


def test_an_uploaded_csv_with_an_unknown_code_re_renders_with_its_line_and_400(
        client: FlaskClient, login_as: Any, db: Any) -> None:
    wave = new_wave(BALLOT, "cadre_ballot", ("QY01",))
    login_as("admin")
    upload = (io.BytesIO(f"{cadres_of(db)[0].code}\nNOBODY\n".encode()), "voters.csv")
    reply = client.post(f"/admin/waves/{BALLOT}/voters", data={
        "csrf_token": csrf_token(client, f"/admin/waves/{BALLOT}"), "file": upload},
        content_type="multipart/form-data")
    page = reply.get_data(as_text=True)
    assert reply.status_code == 400
    assert "第 2 行：" in page and "没有编码为 NOBODY 的人员" in page
    assert eligible(db, wave.id) == set()


def test_the_voters_section_is_only_on_ballot_waves_and_only_for_admins(
        client: FlaskClient, login_as: Any, db: Any) -> None:
    new_wave("ca-test")
    login_as("admin")
    assert "参评人员" not in client.get("/admin/waves/ca-test").get_data(as_text=True)
    reply = client.post("/admin/waves/ca-test/voters", data={
        "csrf_token": csrf_token(client, "/admin/waves/ca-test"), "codes": "X"})
    assert reply.status_code == 400
    login_as("assessor")
    assert client.post("/admin/waves/ca-test/voters", data={"codes": "X"}).status_code in (
        400, 403)
