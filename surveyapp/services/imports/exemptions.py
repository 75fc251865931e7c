"""Import kind ``exemptions``: members exempt from the pioneer index (免评).

The reason is one of the exemptions ``indices.yaml`` allows, written as its display name
(长期卧床) or its id (bedridden). A row is identified by member, reason and start date; a
second import with another end date corrects it.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from surveyapp.extensions import db
from surveyapp.models import Exemption, Person
from surveyapp.services.estimates import indices_spec
from surveyapp.services.imports import common as c
from surveyapp.services.imports.points import member_id, member_index
from surveyapp.services.records import (
    RecordRefused,
    check_exemption,
    exemption_label,
    exemption_reason,
)


class ExemptionsKind(c.Kind):
    name = "exemptions"
    title = _l("党员免评")
    model = Exemption
    value_keys = {"person": "person_id", "from": "starts_on", "to": "ends_on"}
    columns = [
        c.Column("person", "人员编码", c.code, required=True, example="P000010",
                 help=_l("党员的人员编码")),
        c.Column("reason", "免评情形", c.text_of(64), required=True, example="长期卧床",
                 help=_l("指数定义（indices.yaml）允许的免评情形，如年满 70 周岁、"
                         "出国（境）6 个月以上、长期卧床")),
        c.Column("from", "开始日期", c.day, required=True, example="2025-01-01"),
        c.Column("to", "结束日期", c.day, example="",
                 help=_l("不填表示仍在免评；评价年度内任何时候免评即整年免评")),
        c.Column("note", "说明", c.text_of(200), example=""),
    ]

    def records(self, rows: list[c.Row], errors: c.Errors) -> dict[Any, tuple[int, dict]]:
        col = {column.key: column for column in self.columns}
        spec = indices_spec()
        people = member_index()
        parsed = []
        for row in rows:
            reason = row.values["reason"]
            if reason is None:
                continue
            try:
                row.values["reason"] = exemption_reason(reason, spec)
            except RecordRefused as refused:
                errors.add(row.number, col["reason"], str(refused))
                continue
            parsed.append(row)
        c.check_duplicates(parsed, col["from"], _key, errors)
        records: dict[Any, tuple[int, dict]] = {}
        for row in parsed:
            v = row.values
            if v["person"] is None or v["from"] is None:
                continue
            person = member_id(people, v["person"], row, col["person"], errors)
            if person is None:
                continue
            try:
                check_exemption(people[v["person"]][2], v["reason"], v["from"], v["to"])
            except RecordRefused as refused:
                errors.add(row.number, col["to"] if v["to"] and v["to"] < v["from"]
                           else col["reason"], str(refused))
                continue
            records.setdefault(_key(row), (row.number, {
                "person_id": person, "reason": v["reason"], "starts_on": v["from"],
                "ends_on": v["to"], "note": v["note"]}))
        return records

    def _query(self) -> sa.Select:
        return sa.select(Exemption, Person.code).join(Person, Exemption.person_id == Person.id)

    def existing(self) -> dict[Any, tuple[int, dict]]:
        return {(code, e.reason, e.starts_on): (e.id, {
            "person_id": e.person_id, "reason": e.reason, "starts_on": e.starts_on,
            "ends_on": e.ends_on, "note": e.note})
            for e, code in db.session.execute(self._query())}

    def export_rows(self) -> list[dict[str, str]]:
        found = db.session.execute(self._query().order_by(Person.code, Exemption.starts_on))
        return [{"person": code, "reason": exemption_label(e.reason),
                 "from": e.starts_on.isoformat(),
                 "to": e.ends_on.isoformat() if e.ends_on else "", "note": e.note or ""}
                for e, code in found]


def _key(row: c.Row) -> tuple | None:
    v = row.values
    if None in (v["person"], v["reason"], v["from"]):
        return None
    return (v["person"], v["reason"], v["from"])
