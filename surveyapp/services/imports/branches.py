"""Import kind ``branches``: grid party branches (网格支部) inside villages."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from surveyapp.extensions import db
from surveyapp.models import VILLAGE_KINDS, GridBranch, Org
from surveyapp.services.imports import common as c


class BranchesKind(c.Kind):
    name = "branches"
    title = _l("网格支部")
    model = GridBranch
    columns = [
        c.Column("code", "支部编码", c.code, required=True, example="QY01V01G1"),
        c.Column("name", "支部名称", c.text_of(100), required=True, example="第一网格支部"),
        c.Column("village", "村（社区）编码", c.code, required=True, example="QY01V01"),
    ]

    def records(self, rows: list[c.Row], errors: c.Errors) -> dict[Any, tuple[int, dict]]:
        c.check_duplicates(rows, self.columns[0], lambda r: r.values["code"], errors)
        c.check_duplicates(rows, self.columns[1],
                           lambda r: (r.values["village"], r.values["name"])
                           if r.values["name"] else None, errors)
        orgs = c.org_index()
        records: dict[Any, tuple[int, dict]] = {}
        for row in rows:
            v = row.values
            if v["code"] is None or v["village"] is None:
                continue
            village = village_id(orgs, v["village"], row, self.columns[2], errors)
            if village is None:
                continue
            values = {"code": v["code"], "name": v["name"], "village_id": village}
            records.setdefault(v["code"], (row.number, values))
        return records

    def existing(self) -> dict[Any, tuple[int, dict]]:
        return {b.code: (b.id, {"code": b.code, "name": b.name, "village_id": b.village_id})
                for b in db.session.scalars(sa.select(GridBranch))}

    def export_rows(self) -> list[dict[str, str]]:
        query = sa.select(GridBranch.code, GridBranch.name, Org.code).join(
            Org, GridBranch.village_id == Org.id).order_by(GridBranch.code)
        return [{"code": code, "name": name, "village": village}
                for code, name, village in db.session.execute(query)]


def village_id(orgs: dict[str, tuple[int, Any]], code: str, row: c.Row, column: c.Column,
               errors: c.Errors) -> int | None:
    """The id of the village (or community) with this code, or an error on the row."""
    found = orgs.get(code)
    if found is None:
        errors.add(row.number, column, _("村（社区）编码 %(code)s 不存在", code=code))
        return None
    if found[1] not in VILLAGE_KINDS:
        errors.add(row.number, column, _("%(code)s 不是村或社区", code=code))
        return None
    return found[0]
