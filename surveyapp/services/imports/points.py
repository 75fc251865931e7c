"""Import kind ``points``: members' bonuses and deductions (党员积分) per period.

The base score and the caps are ``indices.yaml``'s; a file lists only the movements. A row is
one bonus or deduction, identified by member, period, kind and reason: importing the file
again changes nothing, and a corrected score replaces the stored one.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from surveyapp.extensions import db
from surveyapp.models import Person, PointsEntry
from surveyapp.services.imports import common as c
from surveyapp.services.imports.counts import period
from surveyapp.services.records import MAX_POINTS, POINTS_KIND_NAMES, POINTS_KIND_TEXT


def points(text: str) -> float:
    try:
        value = float(text.replace("，", ".").replace(",", "."))
    except ValueError:
        raise c.CellError(_("“%(value)s”不是有效的分值", value=text)) from None
    if not 0 < value <= MAX_POINTS:
        raise c.CellError(_("分值应大于 0、不超过 %(max)s：%(value)s", max=MAX_POINTS, value=text))
    return value


def member_index() -> dict[str, tuple[int, bool, int | None]]:
    """Every person's code -> (id, is a member, birth year)."""
    return {code: (id_, member, born) for id_, code, member, born in db.session.execute(
        sa.select(Person.id, Person.code, Person.is_member, Person.birth_year))}


def member_id(people: dict, code: str, row: c.Row, column: c.Column,
              errors: c.Errors) -> int | None:
    person = people.get(code)
    if person is None:
        errors.add(row.number, column, _("人员编码 %(code)s 不存在", code=code))
        return None
    if not person[1]:
        errors.add(row.number, column, _("%(code)s 不是党员", code=code))
        return None
    return person[0]


class PointsEntriesKind(c.Kind):
    name = "points"
    title = _l("党员积分")
    model = PointsEntry
    value_keys = {"person": "person_id"}
    columns = [
        c.Column("person", "人员编码", c.code, required=True, example="P000010",
                 help=_l("党员的人员编码；先导入党员和干部名册")),
        c.Column("period", "期间", period, required=True, example="2025-Q3",
                 help=_l("2025、2025-H1、2025-Q3 或 2025-07；按年度汇总计入先锋指数")),
        c.Column("kind", "类别", c.choice(POINTS_KIND_NAMES), required=True, example="加分",
                 help="、".join(POINTS_KIND_NAMES)),
        c.Column("points", "分值", points, required=True, example="2",
                 help=_l("大于 0 的分数；基础分、加分上限和扣分上限见指数定义")),
        c.Column("reason", "事由", c.text_of(200), required=True, example="参加志愿服务",
                 help=_l("同一党员、期间、类别和事由只记一条，再次导入时更正分值")),
    ]

    def records(self, rows: list[c.Row], errors: c.Errors) -> dict[Any, tuple[int, dict]]:
        col = {column.key: column for column in self.columns}
        c.check_duplicates(rows, col["reason"], _key, errors)
        people = member_index()
        records: dict[Any, tuple[int, dict]] = {}
        for row in rows:
            v = row.values
            if None in (v["person"], v["period"], v["kind"], v["points"], v["reason"]):
                continue
            person = member_id(people, v["person"], row, col["person"], errors)
            if person is not None:
                records.setdefault(_key(row), (row.number, {
                    "person_id": person, "period": v["period"], "kind": v["kind"],
                    "points": v["points"], "reason": v["reason"]}))
        return records

    def _query(self) -> sa.Select:
        return sa.select(PointsEntry, Person.code).join(Person,
                                                        PointsEntry.person_id == Person.id)

    def existing(self) -> dict[Any, tuple[int, dict]]:
        return {(code, p.period, p.kind, p.reason): (p.id, {
            "person_id": p.person_id, "period": p.period, "kind": p.kind, "points": p.points,
            "reason": p.reason}) for p, code in db.session.execute(self._query())}

    def export_rows(self) -> list[dict[str, str]]:
        found = db.session.execute(self._query().order_by(Person.code, PointsEntry.period,
                                                          PointsEntry.kind, PointsEntry.reason))
        return [{"person": code, "period": p.period, "kind": POINTS_KIND_TEXT[p.kind],
                 "points": f"{p.points:g}", "reason": p.reason} for p, code in found]


def _key(row: c.Row) -> tuple | None:
    v = row.values
    if None in (v["person"], v["period"], v["kind"], v["reason"]):
        return None
    return (v["person"], v["period"], v["kind"], v["reason"])
