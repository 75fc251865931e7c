"""Import kind ``people``: party members and cadres (with their posts).

Names and phone numbers are personal data: only admins import or export them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from surveyapp.demo.county import bulk_insert
from surveyapp.extensions import db
from surveyapp.models import GridBranch, MemberStatus, Org, Person
from surveyapp.services.imports import common as c

STATUS_NAMES = {
    "长驻": MemberStatus.RESIDENT,
    "流动": MemberStatus.MOBILE,
    "在职": MemberStatus.EMPLOYED,
    "离退": MemberStatus.RETIRED,
}
STATUS_TEXT = {status: name for name, status in STATUS_NAMES.items()}
SEXES = {"男": "男", "女": "女", "male": "男", "female": "女"}
FIELDS = ("code", "name", "sex", "birth_year", "phone", "org_id", "is_member", "is_cadre",
          "post", "member_status", "grid_branch_id")


class PeopleKind(c.Kind):
    name = "people"
    title = _l("党员和干部名册")
    model = Person
    value_keys = {"org": "org_id", "grid_branch": "grid_branch_id"}
    columns = [
        c.Column("code", "人员编码", c.code, required=True, example="P000001"),
        c.Column("name", "姓名", c.text_of(50), required=True, example="李明"),
        c.Column("sex", "性别", c.choice(SEXES), example="男"),
        c.Column("birth_year", "出生年份", c.year, example="1975"),
        c.Column("phone", "联系电话", c.phone, example="13900000000"),
        c.Column("org", "所属组织编码", c.code, required=True, example="QY01V01"),
        c.Column("is_member", "是否党员", c.yes_no, example="是", help=_l("不填视为“是”")),
        c.Column("is_cadre", "是否干部", c.yes_no, example="是",
                 help=_l("不填时：填了职务即为干部")),
        c.Column("post", "职务", c.text_of(50), example="村党支部书记"),
        c.Column("member_status", "党员类别", c.choice(STATUS_NAMES), example="长驻",
                 help="、".join(STATUS_NAMES)),
        c.Column("grid_branch", "网格支部编码", c.code, example="QY01V01G1",
                 help=_l("须为本村（社区）的网格支部，先导入网格支部")),
        c.Column("retired_on", "离任日期", c.day,
                 help=_l("填了即离任（保留历史数据）；不填则保持现状")),
    ]

    def records(self, rows: list[c.Row], errors: c.Errors) -> dict[Any, tuple[int, dict]]:
        c.check_duplicates(rows, self.columns[0], lambda r: r.values["code"], errors)
        orgs = c.org_index()
        branches = {code: (id_, village) for id_, code, village in db.session.execute(
            sa.select(GridBranch.id, GridBranch.code, GridBranch.village_id))}
        records: dict[Any, tuple[int, dict]] = {}
        for row in rows:
            values = self._values(row, orgs, branches, errors)
            if values is not None:
                records.setdefault(values["code"], (row.number, values))
        return records

    def _values(self, row: c.Row, orgs: dict, branches: dict, errors: c.Errors) -> dict | None:
        v = row.values
        col = {column.key: column for column in self.columns}
        if v["code"] is None or v["org"] is None:
            return None
        if v["org"] not in orgs:
            errors.add(row.number, col["org"], _("组织编码 %(code)s 不存在", code=v["org"]))
            return None
        org_id = orgs[v["org"]][0]
        is_member = True if v["is_member"] is None else v["is_member"]
        is_cadre = v["post"] is not None if v["is_cadre"] is None else v["is_cadre"]
        if not (is_member or is_cadre):
            errors.add(row.number, col["is_member"], _("“是否党员”和“是否干部”至少一项为“是”"))
            return None
        if v["member_status"] is not None and not is_member:
            errors.add(row.number, col["member_status"], _("不是党员，不能填党员类别"))
            return None
        branch_id = None
        if v["grid_branch"] is not None:
            branch = branches.get(v["grid_branch"])
            if branch is None:
                errors.add(row.number, col["grid_branch"],
                           _("网格支部编码 %(code)s 不存在", code=v["grid_branch"]))
                return None
            if branch[1] != org_id:
                errors.add(row.number, col["grid_branch"],
                           _("网格支部 %(code)s 不属于组织 %(org)s", code=v["grid_branch"],
                             org=v["org"]))
                return None
            branch_id = branch[0]
        values = {"code": v["code"], "name": v["name"], "sex": v["sex"],
                  "birth_year": v["birth_year"], "phone": v["phone"], "org_id": org_id,
                  "is_member": is_member, "is_cadre": is_cadre, "post": v["post"],
                  "member_status": v["member_status"], "grid_branch_id": branch_id}
        if v["retired_on"] is not None:
            values["retired_on"] = v["retired_on"]
        return values

    def existing(self) -> dict[Any, tuple[int, dict]]:
        columns = [Person.id, Person.retired_at, *(getattr(Person, k) for k in FIELDS)]
        result = {}
        for row in db.session.execute(sa.select(*columns)):
            values = row._asdict()
            retired = values.pop("retired_at")
            values["retired_on"] = retired.date() if retired else None
            result[values["code"]] = (values.pop("id"), values)
        return result

    def apply(self, diff: c.Diff) -> None:
        if diff.adds:
            # bulk_insert keeps the rows' order; one statement per batch, not per person.
            bulk_insert(db.session, Person, [{"retired_at": None, **_stored(r)}
                                             for r in diff.adds])
        if diff.updates:
            db.session.execute(sa.update(Person), [_stored(r) for r in diff.updates])

    def export_rows(self) -> list[dict[str, str]]:
        orgs = dict(db.session.execute(sa.select(Org.id, Org.code)).all())
        branches = dict(db.session.execute(sa.select(GridBranch.id, GridBranch.code)).all())
        rows = []
        for _id, v in sorted(self.existing().values(), key=lambda r: r[1]["code"]):
            rows.append({
                "code": v["code"], "name": v["name"], "sex": v["sex"] or "",
                "birth_year": c.text_or_blank(v["birth_year"]), "phone": v["phone"] or "",
                "org": orgs[v["org_id"]], "is_member": c.yes_no_text(v["is_member"]),
                "is_cadre": c.yes_no_text(v["is_cadre"]), "post": v["post"] or "",
                "member_status": STATUS_TEXT.get(v["member_status"], ""),
                "grid_branch": branches.get(v["grid_branch_id"], ""),
                "retired_on": c.text_or_blank(v["retired_on"]),
            })
        return rows


def _stored(values: dict) -> dict:
    row = dict(values)
    if "retired_on" in row:
        day = row.pop("retired_on")
        row["retired_at"] = datetime(day.year, day.month, day.day, tzinfo=UTC) if day else None
    return row
