"""Roster imports: one broken file per error kind, nothing written on error, upsert by code."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade

from surveyapp.extensions import db as _db
from surveyapp.models import AdminCount, Household, Org, Person, PopulationCell, Team, User
from surveyapp.models.people import member_household, team_member, team_village
from surveyapp.services import imports
from surveyapp.services.exports import export_roster
from tests.conftest import make_app

ORGS = "组织编码,组织名称,类型,上级组织编码,成年人口数\n"
PEOPLE = "人员编码,姓名,所属组织编码,是否党员,职务\n"
TEAMS = "组团编码,组团名称,乡镇（街道）编码,成员人员编码,联系村（社区）编码\n"

# One broken file per error kind: (kind, file text, the exact first error line).
BROKEN = {
    "unknown_parent": ("orgs", ORGS + "QY01V99,新村,村,QY77,100\n",
                       "row 2, column 上级组织编码: 上级组织编码 QY77 不存在"),
    "duplicate_code": ("orgs", ORGS + "QY01V98,甲村,村,QY01,1\nQY01V98,乙村,村,QY01,2\n",
                       "row 3, column 组织编码: 编码 QY01V98 与第 2 行重复"),
    "bad_number": ("orgs", ORGS + "QY01V97,丙村,村,QY01,很多\n",
                   "row 2, column 成年人口数: “很多”不是有效的整数"),
    "negative_number": ("orgs", ORGS + "QY01V97,丙村,村,QY01,-3\n",
                        "row 2, column 成年人口数: 不能为负数：-3"),
    "bad_kind": ("orgs", ORGS + "QY01V96,丁村,寨,QY01,1\n",
                 "row 2, column 类型: “寨”无效，可选：县、乡镇、街道、村、社区、机关、学校、医院、"
                 "国有企业、民营企业"),
    "village_under_village": ("orgs", ORGS + "QY01V95,戊村,村,QY01V01,1\n",
                              "row 2, column 上级组织编码: 村的上级不能是社区（QY01V01）"),
    "cycle": ("orgs", ORGS + "QY01,乡镇甲,乡镇,QYX1,1\nQYX1,单位,机关,QY01,\n",
              "row 2, column 上级组织编码: 乡镇的上级不能是机关（QYX1）"),
    "missing_required_value": ("orgs", ORGS + "QY01V94,,村,QY01,1\n",
                               "row 2, column 组织名称: 必须填写"),
    "missing_column": ("orgs", "组织编码,类型\nQY01V93,村\n", "row 1, column 组织名称: 缺少此列"),
    "member_in_unknown_village": ("people", PEOPLE + "P900001,王五,QY09V09,是,\n",
                                  "row 2, column 所属组织编码: 组织编码 QY09V09 不存在"),
    "neither_member_nor_cadre": ("people", PEOPLE + "P900002,赵六,QY01V01,否,\n",
                                 "row 2, column 是否党员: “是否党员”和“是否干部”至少一项为“是”"),
    "bad_yes_no": ("people", PEOPLE + "P900003,钱七,QY01V01,也许,\n",
                   "row 2, column 是否党员: “也许”无效，请填“是”或“否”"),
    "household_in_a_township": ("households", "户编码,村（社区）编码\nH9,QY01\n",
                                "row 2, column 村（社区）编码: QY01 不是村或社区"),
    "bad_phone": ("households", "户编码,村（社区）编码,联系电话\nH9,QY01V01,call me\n",
                  "row 2, column 联系电话: 电话号码“call me”无效"),
    "link_to_unknown_household": ("links", "党员编码,户编码\nP000010,NOPE\n",
                                  "row 2, column 户编码: 户编码 NOPE 不存在"),
    "team_with_unknown_person": ("teams", TEAMS + "QY01T9,新组团,QY01,P000001、NOPE,QY01V01\n",
                                 "row 2, column 成员人员编码: 人员编码 NOPE 不存在"),
    "team_with_unknown_village": ("teams", TEAMS + "QY01T9,新组团,QY01,,QY01V01；QY01V99\n",
                                  "row 2, column 联系村（社区）编码: 组织编码 QY01V99 不存在"),
    "team_village_outside_its_township": (
        "teams", TEAMS + "QY01T9,新组团,QY01,,QY01V01、QY02V01\n",
        "row 2, column 联系村（社区）编码: QY02V01 不属于乡镇（街道）QY01"),
    "duplicate_team_code": ("teams", TEAMS + "QY01T9,甲组团,QY01,,\nQY01T9,乙组团,QY01,,\n",
                            "row 3, column 组团编码: 编码 QY01T9 与第 2 行重复"),
    "team_of_a_village": ("teams", TEAMS + "QY01T9,新组团,QY01V01,,\n",
                          "row 2, column 乡镇（街道）编码: QY01V01 不是乡镇或街道"),
    "user_without_scope": ("users", "用户名,显示名称,角色,初始密码\nx1,某人,测评人员,longenough\n",
                           "row 2, column 范围组织编码: 测评人员和访问员必须填写范围组织"),
    "new_user_without_password": ("users", "用户名,显示名称,角色\nx2,某人,管理员\n",
                                  "row 2, column 初始密码: 新账号必须填写初始密码"),
    "bad_age_group": ("population", "村（社区）编码,年龄组,性别,成年人数\nQY01V01,老年,男,3\n",
                      "row 2, column 年龄组: 年龄组“老年”无效，请写成 18—29岁 或 60岁及以上"),
    "duplicate_cell": ("population",
                       "村（社区）编码,年龄组,性别,成年人数\nQY01V01,18-34,男,3\nQY01V01,18-34,男,4\n",
                       "row 3, column 性别: 与第 2 行重复"),
    "bad_period": ("counts", "组织编码,期间,类别,数量\nQY01,25年,信访,3\n",
                   "row 2, column 期间: 期间“25年”无效，请写成 2025、2025-H1、2025-Q3 或 2025-07"),
}


def table_sizes(db: Any) -> dict[str, int]:
    def count(table: Any) -> int:
        return db.session.scalar(sa.select(sa.func.count()).select_from(table))

    return {t.__tablename__ if hasattr(t, "__tablename__") else t.name: count(t)
            for t in (Org, Person, Household, member_household, Team, team_member, team_village,
                      User, PopulationCell, AdminCount)}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_file_gets_its_row_and_column_message_and_writes_nothing(
        app: Flask, db: Any, case: str) -> None:
    kind, text, expected = BROKEN[case]
    before = table_sizes(db)
    with app.test_request_context():
        result = imports.import_file(kind, f"{case}.csv", text.encode(), dry_run=False)
    assert str(result.errors[0]) == expected
    assert not result.applied
    assert table_sizes(db) == before


def test_one_bad_row_among_good_ones_writes_nothing(app: Flask, db: Any) -> None:
    text = ORGS + "QY01V91,新一村,村,QY01,10\nQY01V92,新二村,村,QY01,abc\n"
    with app.test_request_context():
        result = imports.import_file("orgs", "o.csv", text.encode(), dry_run=False)
    assert [str(e) for e in result.errors] == ["row 3, column 成年人口数: “abc”不是有效的整数"]
    assert db.session.scalar(sa.select(Org).where(Org.code == "QY01V91")) is None


def test_a_clean_file_adds_then_reimporting_it_changes_nothing(app: Flask, db: Any) -> None:
    # Parents may come later in the file than their children.
    text = ORGS + "QY01V91,新一村,村,QY09,10\nQY09,新乡,乡镇,QY,\n"
    with app.test_request_context():
        first = imports.import_file("orgs", "o.csv", text.encode(), dry_run=False)
        again = imports.import_file("orgs", "o.csv", text.encode(), dry_run=False)
    assert (first.added, first.updated, first.applied) == (2, 0, True)
    assert (again.added, again.updated, again.unchanged, again.applied) == (0, 0, 2, False)
    village = db.session.scalar(sa.select(Org).where(Org.code == "QY01V91"))
    assert village.parent.code == "QY09" and village.adults == 10


def test_a_dry_run_shows_changes_and_leaves_absent_columns_alone(app: Flask, db: Any) -> None:
    query = sa.select(Org.name, Org.kind).where(Org.code == "QY01V01")
    name, kind = db.session.execute(query).one()
    kind_text = {"village": "村", "community": "社区"}[kind.value]
    text = ORGS + f"QY01V01,{name}（新名）,{kind_text},QY01,999\nQY01V90,新村,村,QY01,5\n"
    with app.test_request_context():
        result = imports.import_file("orgs", "o.csv", text.encode(), dry_run=True)
    assert (result.added, result.updated) == (1, 1)
    update = next(c for c in result.changes if c.action == "update")
    assert update.key == "QY01V01" and update.fields == ("组织名称", "成年人口数")
    assert db.session.scalar(sa.select(Org.name).where(Org.code == "QY01V01")) == name


def test_english_headers_and_an_xlsx_file_are_accepted(app: Flask, db: Any) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["code", "name", "kind", "parent", "adults"])
    sheet.append(["QY01V89", "英文表头村", "village", "QY01", 12.0])  # Excel numbers are floats
    out = io.BytesIO()
    book.save(out)
    with app.test_request_context():
        result = imports.import_file("orgs", "o.xlsx", out.getvalue(), dry_run=False)
    assert result.ok and result.added == 1
    assert db.session.scalar(sa.select(Org.adults).where(Org.code == "QY01V89")) == 12


@pytest.mark.parametrize("filename,data", [
    ("o.txt", b"code\n"),
    ("o.xlsx", b"this is not a workbook"),
    ("o.csv", b""),
    ("o.csv", b"\xff\xfe\x00\x00garbage\x00"),
])
def test_an_unreadable_file_is_refused_before_any_row_is_read(app: Flask, filename: str,
                                                             data: bytes) -> None:
    with app.test_request_context(), pytest.raises(imports.UnreadableFile):
        imports.import_file("orgs", filename, data, dry_run=True)


def test_every_template_has_chinese_headers_and_an_example_row_that_checks(app: Flask) -> None:
    for kind in imports.KINDS:
        with app.test_request_context():
            text = imports.template(kind, "csv").decode("utf-8-sig")
            header, example = text.splitlines()[:2]
            assert header.split(",")[0] == imports.get_kind(kind).columns[0].header
            xlsx = imports.template(kind, "xlsx")
            result = imports.import_file(kind, "t.xlsx", xlsx, dry_run=True)
        assert result.rows == 1 and example


def test_a_user_import_never_resets_an_existing_password(app: Flask, db: Any) -> None:
    text = "用户名,显示名称,角色,初始密码\nadmin,系统管理员,管理员,another-password\n"
    with app.test_request_context():
        result = imports.import_file("users", "u.csv", text.encode(), dry_run=False)
    admin = db.session.scalar(sa.select(User).where(User.username == "admin"))
    assert result.ok and admin.check_password("demo-admin")


def team_links(db: Any, code: str) -> tuple[list[str], list[str]]:
    members = db.session.scalars(
        sa.select(Person.code).join(team_member, team_member.c.person_id == Person.id)
        .join(Team, team_member.c.team_id == Team.id).where(Team.code == code)
        .order_by(Person.code)).all()
    villages = db.session.scalars(
        sa.select(Org.code).join(team_village, team_village.c.village_id == Org.id)
        .join(Team, team_village.c.team_id == Team.id).where(Team.code == code)
        .order_by(Org.code)).all()
    return list(members), list(villages)


def test_a_team_row_states_the_whole_team_so_an_unlisted_member_leaves_it(app: Flask,
                                                                          db: Any) -> None:
    team = db.session.scalar(sa.select(Team).order_by(Team.code))
    members, villages = team_links(db, team.code)
    township = team.township.code
    stays, moves = members[:-1], members[-1]
    text = TEAMS + (f"{team.code},{team.name},{township},{'、'.join(stays)},{'；'.join(villages)}\n"
                    f"{township}T9,新组团,{township},{moves},\n")
    with app.test_request_context():
        first = imports.import_file("teams", "t.csv", text.encode(), dry_run=False)
        again = imports.import_file("teams", "t.csv", text.encode(), dry_run=False)
    assert (first.added, first.updated, first.applied) == (1, 1, True)
    assert first.changes[0].fields == ("成员人员编码",)
    assert (again.added, again.updated, again.applied) == (0, 0, False)
    assert team_links(db, team.code) == (stays, villages)
    assert team_links(db, f"{township}T9") == ([moves], [])


def test_a_team_file_without_the_member_column_leaves_members_alone(app: Flask,
                                                                    db: Any) -> None:
    team = db.session.scalar(sa.select(Team).order_by(Team.code))
    before = team_links(db, team.code)
    text = f"组团编码,组团名称,乡镇（街道）编码\n{team.code},改名组团,{team.township.code}\n"
    with app.test_request_context():
        result = imports.import_file("teams", "t.csv", text.encode(), dry_run=False)
    assert result.updated == 1 and team_links(db, team.code) == before
    assert db.session.scalar(sa.select(Team.name).where(Team.code == team.code)) == "改名组团"


def test_a_team_member_must_be_a_cadre(app: Flask, db: Any) -> None:
    member = db.session.scalar(sa.select(Person.code).where(~Person.is_cadre)
                               .order_by(Person.code))
    text = TEAMS + f"QY01T9,新组团,QY01,{member},\n"
    with app.test_request_context():
        result = imports.import_file("teams", "t.csv", text.encode(), dry_run=False)
    assert [str(e) for e in result.errors] == [
        f"row 2, column 成员人员编码: {member} 不是干部"]


def test_the_population_import_keeps_the_questionnaires_age_labels(app: Flask, db: Any) -> None:
    # Raking matches answers to cells by label, so "60岁及以上" must stay "60岁及以上".
    text = "村（社区）编码,年龄组,性别,成年人数\nQY01V01,60岁及以上,男,3\nQY01V01,18—29岁,女,4\n"
    with app.test_request_context():
        result = imports.import_file("population", "p.csv", text.encode(), dry_run=True)
    assert result.ok
    assert {c.key for c in result.changes} == {"QY01V01 / 60岁及以上 / 男",
                                               "QY01V01 / 18—29岁 / 女"}


# Every roster, in import order. Users need people; teams need people and orgs.
ROUND_TRIP_KINDS = ("orgs", "branches", "households", "people", "links", "teams", "users",
                    "population", "counts")
NEW_PASSWORD = "round-trip-first-password"


def test_exported_rosters_import_into_an_empty_database_unchanged(
        app: Flask, db: Any, tmp_path: Path) -> None:
    files = {}
    with app.test_request_context():
        for kind in ROUND_TRIP_KINDS:
            files[kind] = export_roster(kind, "xlsx", by=None)
        source = snapshot(db)
    assert source["team_members"] and source["team_villages"] and source["users"]
    empty = make_app("sqlite:///" + str(tmp_path / "empty.db"), tmp_path)
    with empty.app_context(), own_session():
        upgrade()
        with empty.test_request_context():
            for kind in ROUND_TRIP_KINDS:
                if kind == "users":
                    # The export holds no passwords: each new account is refused until the
                    # admin fills in 初始密码, and then imports unchanged.
                    refused = imports.import_file(kind, "users.xlsx", files[kind], dry_run=False)
                    assert len(refused.errors) == len(source["users"])
                    assert {(e.column, e.message) for e in refused.errors} == {
                        ("初始密码", "新账号必须填写初始密码")}
                    files[kind] = with_passwords(files[kind], NEW_PASSWORD)
                result = imports.import_file(kind, f"{kind}.xlsx", files[kind], dry_run=False)
                assert result.ok and result.added == result.rows, (kind, result.errors[:3])
            target = snapshot(_db)
            admin = _db.session.scalar(sa.select(User).where(User.username == "admin"))
            assert admin.check_password(NEW_PASSWORD)
        _db.engine.dispose()
    assert target == source


@contextmanager
def own_session() -> Iterator[None]:
    """A session on the current app's own database. The `app` fixture points `db.session` at
    the test's transaction on the demo county, which another app would otherwise share: the
    "empty" database would then be the source itself and the round trip would prove nothing."""
    shared = _db.session
    _db.session = sa.orm.scoped_session(sa.orm.sessionmaker(bind=_db.engine),
                                        scopefunc=shared.registry.scopefunc)
    try:
        yield
    finally:
        _db.session.remove()
        _db.session = shared


def with_passwords(xlsx: bytes, password: str) -> bytes:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(xlsx))
    sheet = book.worksheets[0]
    column = [cell.value for cell in sheet[1]].index("初始密码") + 1
    for row in range(2, sheet.max_row + 1):
        sheet.cell(row=row, column=column, value=password)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def snapshot(db: Any) -> dict[str, set]:
    """Organisations, people, households, teams, accounts and their links by code, as
    comparable sets."""
    parent = sa.orm.aliased(Org)
    orgs = set(db.session.execute(sa.select(
        Org.code, Org.name, Org.kind, parent.code, Org.adults, Org.households, Org.party_members
    ).outerjoin(parent, Org.parent_id == parent.id)).all())
    people = set(db.session.execute(sa.select(
        Person.code, Person.name, Person.sex, Person.birth_year, Person.phone, Org.code,
        Person.is_member, Person.is_cadre, Person.post, Person.member_status
    ).join(Org, Person.org_id == Org.id)).all())
    households = set(db.session.execute(sa.select(
        Household.code, Household.head_name, Household.phone, Household.address, Household.size,
        Household.adults, Org.code).join(Org, Household.village_id == Org.id)).all())
    links = set(db.session.execute(
        sa.select(Person.code, Household.code)
        .join(member_household, member_household.c.person_id == Person.id)
        .join(Household, member_household.c.household_id == Household.id)).all())
    cells = set(db.session.execute(sa.select(Org.code, PopulationCell.age_group,
                                             PopulationCell.sex, PopulationCell.adults)
                                   .join(Org, PopulationCell.org_id == Org.id)).all())
    teams = set(db.session.execute(sa.select(Team.code, Team.name, Org.code)
                                   .join(Org, Team.township_id == Org.id)).all())
    team_members = set(db.session.execute(
        sa.select(Team.code, Person.code).join(team_member, team_member.c.team_id == Team.id)
        .join(Person, team_member.c.person_id == Person.id)).all())
    team_villages = set(db.session.execute(
        sa.select(Team.code, Org.code).join(team_village, team_village.c.team_id == Team.id)
        .join(Org, team_village.c.village_id == Org.id)).all())
    scope = sa.orm.aliased(Org)
    users = set(db.session.execute(sa.select(
        User.username, User.display_name, User.role, scope.code, Person.code, User.is_active
    ).outerjoin(scope, User.scope_org_id == scope.id)
     .outerjoin(Person, User.person_id == Person.id)).all())
    return {"orgs": orgs, "people": people, "households": households, "links": links,
            "cells": cells, "teams": teams, "team_members": team_members,
            "team_villages": team_villages, "users": users}
