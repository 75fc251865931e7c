"""Import kind ``population``: adults of each village by age group and sex, the margins that
citizen responses are raked to."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from surveyapp.extensions import db
from surveyapp.models import Org, PopulationCell
from surveyapp.services.imports import common as c
from surveyapp.services.imports.branches import village_id

AGE_GROUP = re.compile(r"^\d{1,3}(-\d{1,3}|\+)$")
SEXES = {"男": "男", "女": "女", "male": "男", "female": "女"}


def age_group(text: str) -> str:
    """An age band as the questionnaire's raking item words it ("18—29岁", "60岁及以上", "65+").

    Stored as written: raking matches respondents' answers to these cells by the exact label,
    so rewriting "60岁及以上" as "60+" would leave the village unraked."""
    normalised = (text.replace("—", "-").replace("–", "-").replace("岁", "")
                  .replace("及以上", "+").replace("以上", "+"))
    if not AGE_GROUP.match(normalised):
        raise c.CellError(_("年龄组“%(value)s”无效，请写成 18—29岁 或 60岁及以上", value=text))
    return text


class PopulationKind(c.Kind):
    name = "population"
    title = _l("分年龄性别成年人口")
    model = PopulationCell
    columns = [
        c.Column("village", "村（社区）编码", c.code, required=True, example="QY01V01"),
        c.Column("age_group", "年龄组", age_group, required=True, example="18—29岁",
                 help=_l("与问卷年龄组选项的文字一致，如 18—29岁、60岁及以上")),
        c.Column("sex", "性别", c.choice(SEXES), required=True, example="男"),
        c.Column("adults", "成年人数", c.count, required=True, example="120"),
    ]

    def records(self, rows: list[c.Row], errors: c.Errors) -> dict[Any, tuple[int, dict]]:
        c.check_duplicates(
            rows, self.columns[2],
            lambda r: (r.values["village"], r.values["age_group"], r.values["sex"]), errors)
        orgs = c.org_index()
        records: dict[Any, tuple[int, dict]] = {}
        for row in rows:
            v = row.values
            if None in (v["village"], v["age_group"], v["sex"], v["adults"]):
                continue
            village = village_id(orgs, v["village"], row, self.columns[0], errors)
            if village is not None:
                records.setdefault((v["village"], v["age_group"], v["sex"]), (row.number, {
                    "org_id": village, "age_group": v["age_group"], "sex": v["sex"],
                    "adults": v["adults"]}))
        return records

    def _query(self) -> sa.Select:
        return sa.select(PopulationCell, Org.code).join(Org, PopulationCell.org_id == Org.id)

    def existing(self) -> dict[Any, tuple[int, dict]]:
        return {(code, p.age_group, p.sex): (p.id, {"org_id": p.org_id, "age_group": p.age_group,
                                                    "sex": p.sex, "adults": p.adults})
                for p, code in db.session.execute(self._query())}

    def export_rows(self) -> list[dict[str, str]]:
        rows = db.session.execute(self._query().order_by(Org.code, PopulationCell.age_group,
                                                         PopulationCell.sex))
        return [{"village": code, "age_group": p.age_group, "sex": p.sex,
                 "adults": str(p.adults)} for p, code in rows]
