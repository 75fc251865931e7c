"""Import kind ``households``: the household roster of each village, the sampling frame.

Heads' names, phone numbers and addresses are personal data: only admins import or export them.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from surveyapp.extensions import db
from surveyapp.models import Household, Org
from surveyapp.services.imports import common as c
from surveyapp.services.imports.branches import village_id

FIELDS = ("head_name", "phone", "address", "size", "adults")


class HouseholdsKind(c.Kind):
    name = "households"
    title = _l("农户（住户）名册")
    model = Household
    columns = [
        c.Column("code", "户编码", c.code, required=True, example="QY01V01H0001"),
        c.Column("village", "村（社区）编码", c.code, required=True, example="QY01V01"),
        c.Column("head_name", "户主姓名", c.text_of(50), example="张建国"),
        c.Column("phone", "联系电话", c.phone, example="13800000000"),
        c.Column("address", "住址", c.text_of(200), example="青山村3组12号"),
        c.Column("size", "家庭人口", c.count, example="4"),
        c.Column("adults", "成年人数", c.count, example="3"),
    ]

    def records(self, rows: list[c.Row], errors: c.Errors) -> dict[Any, tuple[int, dict]]:
        c.check_duplicates(rows, self.columns[0], lambda r: r.values["code"], errors)
        orgs = c.org_index()
        records: dict[Any, tuple[int, dict]] = {}
        for row in rows:
            v = row.values
            if v["code"] is None or v["village"] is None:
                continue
            village = village_id(orgs, v["village"], row, self.columns[1], errors)
            if village is None:
                continue
            if v["size"] is not None and v["adults"] is not None and v["adults"] > v["size"]:
                errors.add(row.number, self.columns[6], _("成年人数不能多于家庭人口"))
                continue
            values = {"code": v["code"], "village_id": village, **{k: v[k] for k in FIELDS}}
            records.setdefault(v["code"], (row.number, values))
        return records

    def existing(self) -> dict[Any, tuple[int, dict]]:
        columns = [Household.id, Household.code, Household.village_id,
                   *(getattr(Household, k) for k in FIELDS)]
        result = {}
        for row in db.session.execute(sa.select(*columns)):
            values = row._asdict()
            result[values["code"]] = (values.pop("id"), values)
        return result

    def export_rows(self) -> list[dict[str, str]]:
        columns = [Household.code, Org.code.label("village"),
                   *(getattr(Household, k) for k in FIELDS)]
        query = sa.select(*columns).join(Org, Household.village_id == Org.id).order_by(
            Household.code)
        return [{k: c.text_or_blank(v) for k, v in row._asdict().items()}
                for row in db.session.execute(query)]
