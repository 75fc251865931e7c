"""Import kind ``teams``: township teams of cadres linked to villages (组团联村).

A county keeps one row per team, with its members and its villages listed in one cell each,
the codes separated by 、 or ；. A row states the whole team: members or villages it does not
list are taken off the team, so moving a cadre to another team is one edit in each row. A file
without the 成员 or 联系村 column leaves those links alone.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from surveyapp.demo.county import bulk_insert
from surveyapp.extensions import db
from surveyapp.models import TOWNSHIP_KINDS, VILLAGE_KINDS, Org, Person, Team
from surveyapp.models.people import team_member, team_village
from surveyapp.services.imports import common as c

SEPARATORS = re.compile(r"[、;；,，\s]+")
LINKS = {"member_ids": (team_member, "person_id"), "village_ids": (team_village, "village_id")}


def code_list(text: str) -> tuple[str, ...]:
    """Codes separated by 、 ； ; , or spaces, each checked as a code; repeats kept once."""
    return tuple(dict.fromkeys(c.code(part) for part in SEPARATORS.split(text) if part))


class TeamsKind(c.Kind):
    name = "teams"
    title = _l("组团联村")
    model = Team
    value_keys = {"township": "township_id", "members": "member_ids", "villages": "village_ids"}
    columns = [
        c.Column("code", "组团编码", c.code, required=True, example="QY01T1",
                 help=_l("唯一，导入时按编码新增或更新")),
        c.Column("name", "组团名称", c.text_of(100), required=True, example="青山镇第一联村组团"),
        c.Column("township", "乡镇（街道）编码", c.code, required=True, example="QY01",
                 help=_l("组建组团的乡镇（街道）")),
        c.Column("members", "成员人员编码", code_list, example="P000001、P000002",
                 help=_l("组团的全部干部，编码之间用“、”或“；”分隔；未列出的成员将移出本组团；"
                         "先导入党员和干部名册")),
        c.Column("villages", "联系村（社区）编码", code_list, example="QY01V01、QY01V02",
                 help=_l("组团联系的全部村（社区），须属于本乡镇（街道），用“、”或“；”分隔；"
                         "未列出的村将移出本组团")),
    ]

    def records(self, rows: list[c.Row], errors: c.Errors) -> dict[Any, tuple[int, dict]]:
        col = {column.key: column for column in self.columns}
        for row, first in c.first_duplicates(rows, lambda r: r.values["code"]):
            errors.add(row.number, col["code"],
                       _("编码 %(code)s 与第 %(row)s 行重复", code=row.values["code"], row=first))
        orgs = {code: (id_, kind, parent) for id_, code, kind, parent in db.session.execute(
            sa.select(Org.id, Org.code, Org.kind, Org.parent_id))}
        people = {code: (id_, cadre) for id_, code, cadre in db.session.execute(
            sa.select(Person.id, Person.code, Person.is_cadre))}
        records: dict[Any, tuple[int, dict]] = {}
        for row in rows:
            values = self._values(row, col, orgs, people, errors)
            if values is not None:
                records.setdefault(values["code"], (row.number, values))
        return records

    def _values(self, row: c.Row, col: dict[str, c.Column], orgs: dict, people: dict,
                errors: c.Errors) -> dict | None:
        v = row.values
        if v["code"] is None or v["name"] is None or v["township"] is None:
            return None
        township = orgs.get(v["township"])
        if township is None:
            errors.add(row.number, col["township"],
                       _("组织编码 %(code)s 不存在", code=v["township"]))
            return None
        if township[1] not in TOWNSHIP_KINDS:
            errors.add(row.number, col["township"],
                       _("%(code)s 不是乡镇或街道", code=v["township"]))
            return None
        member_ids = []
        for code in v["members"] or ():
            person = people.get(code)
            if person is None:
                errors.add(row.number, col["members"], _("人员编码 %(code)s 不存在", code=code))
                return None
            if not person[1]:
                errors.add(row.number, col["members"], _("%(code)s 不是干部", code=code))
                return None
            member_ids.append(person[0])
        village_ids = []
        for code in v["villages"] or ():
            village = orgs.get(code)
            if village is None:
                errors.add(row.number, col["villages"], _("组织编码 %(code)s 不存在", code=code))
                return None
            if village[1] not in VILLAGE_KINDS:
                errors.add(row.number, col["villages"], _("%(code)s 不是村或社区", code=code))
                return None
            if village[2] != township[0]:
                errors.add(row.number, col["villages"],
                           _("%(village)s 不属于乡镇（街道）%(township)s", village=code,
                             township=v["township"]))
                return None
            village_ids.append(village[0])
        return {"code": v["code"], "name": v["name"], "township_id": township[0],
                "member_ids": tuple(sorted(member_ids)), "village_ids": tuple(sorted(village_ids))}

    def existing(self) -> dict[Any, tuple[int, dict]]:
        linked: dict[str, dict[int, list[int]]] = {}
        for key, (table, column) in LINKS.items():
            linked[key] = {}
            for team_id, other in db.session.execute(
                    sa.select(table.c.team_id, table.c[column]).order_by(table.c[column])):
                linked[key].setdefault(team_id, []).append(other)
        return {code: (id_, {"code": code, "name": name, "township_id": township,
                             **{key: tuple(linked[key].get(id_, ())) for key in LINKS}})
                for id_, code, name, township in db.session.execute(
                    sa.select(Team.id, Team.code, Team.name, Team.township_id))}

    def apply(self, diff: c.Diff) -> None:
        if diff.adds:
            ids = bulk_insert(db.session, Team, [_team_fields(r) for r in diff.adds])
            for team_id, values in zip(ids, diff.adds, strict=True):
                self._link(team_id, values)
        for values in diff.updates:
            fields = _team_fields(values)
            if len(fields) > 1:
                db.session.execute(sa.update(Team), [fields])
            self._link(values["id"], values, replace=True)

    @staticmethod
    def _link(team_id: int, values: dict, *, replace: bool = False) -> None:
        for key, (table, column) in LINKS.items():
            if key not in values:
                continue
            if replace:
                db.session.execute(sa.delete(table).where(table.c.team_id == team_id))
            if values[key]:
                db.session.execute(sa.insert(table), [{"team_id": team_id, column: other}
                                                      for other in values[key]])

    def export_rows(self) -> list[dict[str, str]]:
        orgs = dict(db.session.execute(sa.select(Org.id, Org.code)).all())
        people = dict(db.session.execute(sa.select(Person.id, Person.code)).all())
        return [{"code": v["code"], "name": v["name"], "township": orgs[v["township_id"]],
                 "members": "、".join(sorted(people[i] for i in v["member_ids"])),
                 "villages": "、".join(sorted(orgs[i] for i in v["village_ids"]))}
                for _id, v in sorted(self.existing().values(), key=lambda r: r[1]["code"])]


def _team_fields(values: dict) -> dict:
    return {k: v for k, v in values.items() if k not in LINKS}
