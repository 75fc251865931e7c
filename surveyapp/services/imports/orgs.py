"""Import kind ``orgs``: the organisation tree, parents found in the database or the file."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import aliased

from surveyapp.demo.county import bulk_insert
from surveyapp.extensions import db
from surveyapp.models import Org, OrgKind
from surveyapp.services.imports import common as c
from surveyapp.services.orgs import parent_allowed

KIND_NAMES = {
    "县": OrgKind.COUNTY,
    "乡镇": OrgKind.TOWNSHIP,
    "街道": OrgKind.STREET,
    "村": OrgKind.VILLAGE,
    "社区": OrgKind.COMMUNITY,
    "机关": OrgKind.OFFICE,
    "学校": OrgKind.SCHOOL,
    "医院": OrgKind.HOSPITAL,
    "国有企业": OrgKind.STATE_ENTERPRISE,
    "民营企业": OrgKind.PRIVATE_ENTERPRISE,
}
KIND_TEXT = {kind: name for name, kind in KIND_NAMES.items()}
FIGURES = ("adults", "households", "party_members")


class OrgsKind(c.Kind):
    name = "orgs"
    title = _l("组织机构")
    model = Org
    value_keys = {"parent": "parent_code"}
    columns = [
        c.Column("code", "组织编码", c.code, required=True, example="QY01V01",
                 help=_l("唯一，导入时按编码新增或更新")),
        c.Column("name", "组织名称", c.text_of(100), required=True, example="青山村"),
        c.Column("kind", "类型", c.choice(KIND_NAMES), required=True, example="村",
                 help="、".join(KIND_NAMES)),
        c.Column("parent", "上级组织编码", c.code, example="QY01",
                 help=_l("只有县可以不填；村（社区）的上级须为乡镇（街道）")),
        c.Column("adults", "成年人口数", c.count, example="820"),
        c.Column("households", "户数", c.count, example="310"),
        c.Column("party_members", "党员数", c.count, example="34"),
        c.Column("retired_on", "撤销日期", c.day,
                 help=_l("填了即撤销（保留历史数据）；不填则保持现状")),
    ]

    def records(self, rows: list[c.Row], errors: c.Errors) -> dict[Any, tuple[int, dict]]:
        for row, first in c.first_duplicates(rows, lambda r: r.values["code"]):
            errors.add(row.number, self.columns[0],
                       _("编码 %(code)s 与第 %(row)s 行重复", code=row.values["code"], row=first))
        stored = dict(db.session.execute(sa.select(Org.code, Org.kind)).all())
        stored_parent = self._stored_parents()
        in_file = {r.values["code"]: r for r in rows if r.values["code"]}
        parent_of = {**stored_parent, **{k: r.values["parent"] for k, r in in_file.items()}}
        kind_of = {**stored, **{k: r.values["kind"] for k, r in in_file.items()}}
        records: dict[Any, tuple[int, dict]] = {}
        for row in rows:
            v = row.values
            if v["code"] is None or v["kind"] is None:
                continue
            if not self._parent_ok(row, kind_of, errors):
                continue
            if self._has_cycle(v["code"], parent_of):
                errors.add(row.number, "上级组织编码", _("上级关系形成循环"))
                continue
            values = {"code": v["code"], "name": v["name"], "kind": v["kind"],
                      "parent_code": v["parent"], **{k: v[k] for k in FIGURES}}
            if v["retired_on"] is not None:
                values["retired_on"] = v["retired_on"]
            records.setdefault(v["code"], (row.number, values))
        return records

    def _parent_ok(self, row: c.Row, kind_of: dict[str, OrgKind], errors: c.Errors) -> bool:
        v = row.values
        parent = v["parent"]
        if parent is not None and parent not in kind_of:
            errors.add(row.number, "上级组织编码", _("上级组织编码 %(code)s 不存在", code=parent))
            return False
        if not parent_allowed(v["kind"], kind_of.get(parent) if parent else None):
            if parent is None:
                message = _("只有县可以不填上级组织")
            else:
                message = _("%(kind)s的上级不能是%(parent)s（%(code)s）", kind=KIND_TEXT[v["kind"]],
                            parent=KIND_TEXT[kind_of[parent]], code=parent)
            errors.add(row.number, "上级组织编码", message)
            return False
        return True

    @staticmethod
    def _has_cycle(code: str, parent_of: dict[str, str | None]) -> bool:
        seen = {code}
        node = parent_of.get(code)
        while node is not None:
            if node in seen:
                return True
            seen.add(node)
            node = parent_of.get(node)
        return False

    @staticmethod
    def _stored_parents() -> dict[str, str | None]:
        parent = aliased(Org)
        query = sa.select(Org.code, parent.code).outerjoin(parent, Org.parent_id == parent.id)
        return dict(db.session.execute(query).all())

    def existing(self) -> dict[Any, tuple[int, dict]]:
        parent = aliased(Org)
        query = sa.select(Org, parent.code).outerjoin(parent, Org.parent_id == parent.id)
        result = {}
        for org, parent_code in db.session.execute(query):
            values = {"code": org.code, "name": org.name, "kind": org.kind,
                      "parent_code": parent_code, **{k: getattr(org, k) for k in FIGURES},
                      "retired_on": org.retired_at.date() if org.retired_at else None}
            result[org.code] = (org.id, values)
        return result

    def apply(self, diff: c.Diff) -> None:
        ids = dict(db.session.execute(sa.select(Org.code, Org.id)).all())
        pending = [{"retired_at": None, **_stored_form(values)} for values in diff.adds]
        # Parents may be new rows of the same file: insert tier by tier, top first.
        while pending:
            ready = [r for r in pending if r["parent_code"] is None or r["parent_code"] in ids]
            pending = [r for r in pending if r not in ready]
            rows = [{**_without(r, "parent_code"), "parent_id": ids.get(r["parent_code"])}
                    for r in ready]
            ids.update(zip([r["code"] for r in rows], bulk_insert(db.session, Org, rows),
                           strict=True))
        updates = []
        for values in diff.updates:
            row = _stored_form(values)
            if "parent_code" in row:
                row["parent_id"] = ids.get(row.pop("parent_code"))
            updates.append(row)
        if updates:
            db.session.execute(sa.update(Org), updates)

    def export_rows(self) -> list[dict[str, str]]:
        rows = []
        for _id, v in sorted(self.existing().values(), key=lambda r: _depth_key(r[1])):
            rows.append({
                "code": v["code"], "name": v["name"], "kind": KIND_TEXT[v["kind"]],
                "parent": v["parent_code"] or "",
                **{k: c.text_or_blank(v[k]) for k in FIGURES},
                "retired_on": c.text_or_blank(v["retired_on"]),
            })
        return rows


def _depth_key(values: dict) -> tuple[int, str]:
    order = {"county": 0, "township": 1, "unit": 2, "village": 3}
    return order[values["kind"].level], values["code"]


def _stored_form(values: dict) -> dict:
    row = dict(values)
    if "retired_on" in row:
        day = row.pop("retired_on")
        row["retired_at"] = datetime(day.year, day.month, day.day, tzinfo=UTC) if day else None
    return row


def _without(row: dict, key: str) -> dict:
    return {k: v for k, v in row.items() if k != key}
