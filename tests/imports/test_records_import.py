"""Imports of points, veto events and exemptions: rows checked against indices.yaml."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from surveyapp.models import Exemption, Person, PointsEntry, PointsKind, VetoEvent
from surveyapp.services import imports
from surveyapp.services.estimates import indices_spec
from surveyapp.services.exports import export_roster

POINTS = "人员编码,期间,类别,分值,事由\n"
VETOES = "人员编码,组织编码,否决事项,发生日期,说明\n"
EXEMPTIONS = "人员编码,免评情形,开始日期,结束日期\n"
MEMBER_EVENTS = "受到党纪处分、违法犯罪、被认定为不合格党员"
VILLAGE_EVENTS = ("后进或软弱涣散党组织、发生规模性信访或群体性事件、两委成员被立案审查、"
                  "村级财务严重违规")


def run(app: Flask, kind: str, text: str, *, dry_run: bool = False) -> imports.ImportResult:
    with app.test_request_context():
        return imports.import_file(kind, f"{kind}.csv", text.encode(), dry_run=dry_run)


@pytest.fixture
def people(db: Any) -> dict[str, str]:
    """Codes of a member born before 1950, a member under 70 and a cadre who is no member."""
    young = db.session.scalar(sa.select(Person.code).where(
        Person.is_member, Person.birth_year > 1970).order_by(Person.code))
    old = db.session.scalar(sa.select(Person).where(Person.is_member, Person.code != young)
                            .order_by(Person.code))
    old.birth_year = 1940
    cadre = db.session.scalar(sa.select(Person.code).where(~Person.is_member)
                              .order_by(Person.code))
    db.session.flush()
    return {"young": young, "old": old.code, "cadre": cadre}


BROKEN = {
    "unknown_member_event": ("vetoes", VETOES + "{young},,被约谈,2025-03-01,\n",
                             f"row 2, column 否决事项: “被约谈”不是指数定义中党员的清零事项，"
                             f"可选：{MEMBER_EVENTS}"),
    "village_event_for_a_member": ("vetoes", VETOES + "{young},,村级财务严重违规,2025-03-01,\n",
                                   "row 2, column 否决事项: “村级财务严重违规”不是指数定义中党员"
                                   f"的清零事项，可选：{MEMBER_EVENTS}"),
    "member_event_for_a_village": ("vetoes", VETOES + ",QY01V01,违法犯罪,2025-03-01,\n",
                                   "row 2, column 否决事项: “违法犯罪”不是指数定义中村（社区）党"
                                   f"组织的否决事项，可选：{VILLAGE_EVENTS}"),
    "both_person_and_org": ("vetoes", VETOES + "{young},QY01V01,违法犯罪,2025-03-01,\n",
                            "row 2, column 人员编码: 人员编码和组织编码须填且只填一项"),
    "veto_for_a_township": ("vetoes", VETOES + ",QY01,村级财务严重违规,2025-03-01,\n",
                            "row 2, column 组织编码: QY01 不是村或社区"),
    "bad_date": ("vetoes", VETOES + ",QY01V01,村级财务严重违规,去年,\n",
                 "row 2, column 发生日期: 日期“去年”无效，请写成 2025-06-30"),
    "points_for_a_non_member": ("points", POINTS + "{cadre},2025-Q1,加分,2,志愿服务\n",
                                "row 2, column 人员编码: {cadre} 不是党员"),
    "points_for_nobody": ("points", POINTS + "NOPE,2025-Q1,加分,2,志愿服务\n",
                          "row 2, column 人员编码: 人员编码 NOPE 不存在"),
    "negative_points": ("points", POINTS + "{young},2025-Q1,扣分,-2,缺席\n",
                        "row 2, column 分值: 分值应大于 0、不超过 100：-2"),
    "bad_points_kind": ("points", POINTS + "{young},2025-Q1,奖励,2,志愿服务\n",
                        "row 2, column 类别: “奖励”无效，可选：加分、扣分"),
    "duplicate_points": ("points", POINTS + "{young},2025-Q1,加分,2,志愿服务\n"
                         "{young},2025-Q1,加分,3,志愿服务\n",
                         "row 3, column 事由: 与第 2 行重复"),
    "unknown_exemption": ("exemptions", EXEMPTIONS + "{young},外出务工,2025-01-01,\n",
                          "row 2, column 免评情形: 免评情形“外出务工”不在指数定义中，可选："
                          "年满 70 周岁、出国（境）6 个月以上、长期卧床"),
    "too_young_for_age_exemption": ("exemptions", EXEMPTIONS + "{young},年满 70 周岁,2025-01-01,\n",
                                    "row 2, column 免评情形: 生于 {born} 年，2025 年未满 70 周岁"),
    "exemption_ending_before_it_starts": ("exemptions", EXEMPTIONS +
                                          "{young},长期卧床,2025-06-01,2025-01-01\n",
                                          "row 2, column 结束日期: 结束日期早于开始日期"),
}


@pytest.mark.parametrize("case", BROKEN)
def test_a_broken_records_file_names_row_and_column_in_chinese_and_writes_nothing(
        app: Flask, db: Any, people: dict[str, str], case: str) -> None:
    kind, text, first = BROKEN[case]
    born = db.session.scalar(sa.select(Person.birth_year).where(Person.code == people["young"]))
    values = {**people, "born": born}
    result = run(app, kind, text.format(**values))
    assert [str(e) for e in result.errors][:1] == [first.format(**values)]
    assert not result.applied


def test_points_import_once_and_a_corrected_score_updates_the_same_entry(
        app: Flask, db: Any, people: dict[str, str]) -> None:
    code = people["young"]
    text = POINTS + f"{code},2025-Q1,加分,2,志愿服务\n{code},2025-Q2,扣分,1.5,缺席\n"
    first = run(app, "points", text)
    again = run(app, "points", text)
    corrected = run(app, "points", text.replace(",2,志愿服务", ",3,志愿服务"))
    assert (first.added, first.applied) == (2, True)
    assert (again.added, again.updated, again.applied) == (0, 0, False)
    assert (corrected.added, corrected.updated) == (0, 1)
    assert corrected.changes[0].fields == ("分值",)
    stored = db.session.execute(
        sa.select(PointsEntry.kind, PointsEntry.points).join(Person)
        .where(Person.code == code, PointsEntry.reason.in_(["志愿服务", "缺席"]))
        .order_by(PointsEntry.period)).all()
    assert stored == [(PointsKind.BONUS, 3.0), (PointsKind.DEDUCTION, 1.5)]


def test_veto_events_for_members_and_villages_import_and_reimport_unchanged(
        app: Flask, db: Any, people: dict[str, str]) -> None:
    text = VETOES + (f"{people['young']},,受到党纪处分,2025-04-02,警告处分\n"
                     ",QY01V01,发生规模性信访或群体性事件,2024-09-10,\n")
    first = run(app, "vetoes", text)
    again = run(app, "vetoes", text)
    assert (first.added, first.applied) == (2, True)
    assert (again.added, again.updated) == (0, 0)
    events = db.session.scalars(sa.select(VetoEvent.event).where(
        VetoEvent.occurred_on.in_([date(2025, 4, 2), date(2024, 9, 10)]))
        .order_by(VetoEvent.occurred_on))
    assert list(events) == ["发生规模性信访或群体性事件", "受到党纪处分"]


def test_veto_event_names_come_from_the_indices_definition(
        app: Flask, db: Any, people: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    text = VETOES + f"{people['young']},,被约谈,2025-03-01,\n"
    assert not run(app, "vetoes", text, dry_run=True).ok
    with app.app_context():
        spec = indices_spec()
    spec["indices"]["pioneer"]["vetoes"]["events"].append("被约谈")
    monkeypatch.setattr("surveyapp.services.imports.vetoes.indices_spec", lambda: spec)
    assert run(app, "vetoes", text, dry_run=True).ok


def test_an_exemption_is_written_by_name_or_id_and_exports_as_it_imports(
        app: Flask, db: Any, people: dict[str, str]) -> None:
    text = EXEMPTIONS + (f"{people['old']},age_over_70,2025-01-01,\n"
                         f"{people['young']},出国（境）6 个月以上,2025-02-01,2025-12-31\n")
    first = run(app, "exemptions", text)
    assert (first.added, first.applied) == (2, True), first.errors
    reasons = db.session.scalars(sa.select(Exemption.reason).where(
        Exemption.starts_on >= date(2025, 1, 1)).order_by(Exemption.starts_on))
    assert list(reasons) == ["age_over_70", "abroad_over_6_months"]
    for kind in ("points", "vetoes", "exemptions"):
        with app.test_request_context():
            exported = export_roster(kind, "xlsx", by=None)
            result = imports.import_file(kind, f"{kind}.xlsx", exported, dry_run=True)
        assert result.ok and result.added == 0 and result.updated == 0, (kind, result.errors)


def test_an_exemption_roster_reads_the_same_whatever_the_screen_language(app: Any) -> None:
    from flask_babel import force_locale

    from surveyapp.services.records import exemption_reason

    with app.test_request_context(), force_locale("en"):
        spec = indices_spec()
        assert exemption_reason("长期卧床", spec) == "bedridden"
        assert exemption_reason("bedridden", spec) == "bedridden"
