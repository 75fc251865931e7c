"""Import kind ``vetoes``: events that zero a member's pioneer score (清零) or veto a village
organisation's grade (一票否决).

A row names a member (人员编码) or a village or community (组织编码), never both. The event
must be one ``indices.yaml`` lists for that kind of unit; the same event on the same day is
one record, so importing the file again changes nothing.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from surveyapp.extensions import db
from surveyapp.models import VILLAGE_KINDS, Org, Person, VetoEvent
from surveyapp.services.estimates import indices_spec
from surveyapp.services.imports import common as c
from surveyapp.services.imports.points import member_id, member_index
from surveyapp.services.records import RecordRefused, check_event


class VetoesKind(c.Kind):
    name = "vetoes"
    title = _l("否决和清零事项")
    model = VetoEvent
    value_keys = {"person": "person_id", "org": "org_id", "date": "occurred_on"}
    columns = [
        c.Column("person", "人员编码", c.code, example="",
                 help=_l("党员的清零事项填人员编码；与组织编码只填一项")),
        c.Column("org", "组织编码", c.code, example="QY01V01",
                 help=_l("村（社区）党组织的否决事项填村（社区）编码")),
        c.Column("event", "否决事项", c.text_of(100), required=True, example="村级财务严重违规",
                 help=_l("须与指数定义（indices.yaml）中的否决事项一字不差")),
        c.Column("date", "发生日期", c.day, required=True, example="2025-06-30",
                 help=_l("按指数定义的回溯年数决定是否计入")),
        c.Column("note", "说明", c.text_of(200), example="县纪委通报"),
    ]

    def records(self, rows: list[c.Row], errors: c.Errors) -> dict[Any, tuple[int, dict]]:
        col = {column.key: column for column in self.columns}
        c.check_duplicates(rows, col["event"], _key, errors)
        spec = indices_spec()
        people = member_index()
        orgs = c.org_index()
        records: dict[Any, tuple[int, dict]] = {}
        for row in rows:
            v = row.values
            if (v["person"] is None) == (v["org"] is None):
                errors.add(row.number, col["person"], _("人员编码和组织编码须填且只填一项"))
                continue
            if v["event"] is None or v["date"] is None:
                continue
            try:
                check_event(v["event"], "member" if v["person"] else "village", spec)
            except RecordRefused as refused:
                errors.add(row.number, col["event"], str(refused))
                continue
            person = org = None
            if v["person"]:
                person = member_id(people, v["person"], row, col["person"], errors)
                if person is None:
                    continue
            else:
                org = _village(orgs, v["org"], row, col["org"], errors)
                if org is None:
                    continue
            records.setdefault(_key(row), (row.number, {
                "person_id": person, "org_id": org, "event": v["event"],
                "occurred_on": v["date"], "note": v["note"]}))
        return records

    def _query(self) -> sa.Select:
        return (sa.select(VetoEvent, Person.code, Org.code)
                .outerjoin(Person, VetoEvent.person_id == Person.id)
                .outerjoin(Org, VetoEvent.org_id == Org.id))

    def existing(self) -> dict[Any, tuple[int, dict]]:
        return {(person or org, e.event, e.occurred_on): (e.id, {
            "person_id": e.person_id, "org_id": e.org_id, "event": e.event,
            "occurred_on": e.occurred_on, "note": e.note})
            for e, person, org in db.session.execute(self._query())}

    def export_rows(self) -> list[dict[str, str]]:
        found = db.session.execute(self._query().order_by(VetoEvent.occurred_on, VetoEvent.id))
        return [{"person": person or "", "org": org or "", "event": e.event,
                 "date": e.occurred_on.isoformat(), "note": e.note or ""}
                for e, person, org in found]


def _village(orgs: dict, code: str, row: c.Row, column: c.Column, errors: c.Errors) -> int | None:
    found = orgs.get(code)
    if found is None:
        errors.add(row.number, column, _("组织编码 %(code)s 不存在", code=code))
        return None
    if found[1] not in VILLAGE_KINDS:
        errors.add(row.number, column, _("%(code)s 不是村或社区", code=code))
        return None
    return found[0]


def _key(row: c.Row) -> tuple | None:
    v = row.values
    unit = v["person"] or v["org"]
    if None in (unit, v["event"], v["date"]):
        return None
    return (unit, v["event"].strip(), v["date"])
