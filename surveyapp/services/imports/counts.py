"""Import kind ``counts``: administrative counts (violations, petitions) per organisation and
period, for the two falling 三升两降 targets."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from surveyapp.extensions import db
from surveyapp.models import AdminCount, Org
from surveyapp.services.counts import KIND_NAMES, KIND_TEXT, parse_period
from surveyapp.services.imports import common as c


def period(text: str) -> str:
    try:
        return parse_period(text)
    except ValueError:
        raise c.CellError(
            _("期间“%(value)s”无效，请写成 2025、2025-H1、2025-Q3 或 2025-07", value=text)
        ) from None


class CountsKind(c.Kind):
    name = "counts"
    title = _l("违纪违法和信访数")
    model = AdminCount
    columns = [
        c.Column("org", "组织编码", c.code, required=True, example="QY01"),
        c.Column("period", "期间", period, required=True, example="2025",
                 help=_l("2025、2025-H1、2025-Q3 或 2025-07")),
        c.Column("kind", "类别", c.choice(KIND_NAMES), required=True, example="信访",
                 help="、".join(KIND_NAMES)),
        c.Column("count", "数量", c.count, required=True, example="12"),
        c.Column("exposure", "基数人数", c.positive, example="5400",
                 help=_l("计算每千人比率的人数；不填则用组织的成年人口数")),
    ]

    def records(self, rows: list[c.Row], errors: c.Errors) -> dict[Any, tuple[int, dict]]:
        c.check_duplicates(
            rows, self.columns[2],
            lambda r: (r.values["org"], r.values["period"], r.values["kind"]), errors)
        orgs = c.org_index()
        records: dict[Any, tuple[int, dict]] = {}
        for row in rows:
            v = row.values
            if None in (v["org"], v["period"], v["kind"], v["count"]):
                continue
            if v["org"] not in orgs:
                errors.add(row.number, self.columns[0],
                           _("组织编码 %(code)s 不存在", code=v["org"]))
                continue
            records.setdefault((v["org"], v["period"], v["kind"]), (row.number, {
                "org_id": orgs[v["org"]][0], "period": v["period"], "kind": v["kind"],
                "count": v["count"], "exposure": v["exposure"]}))
        return records

    def _query(self) -> sa.Select:
        return sa.select(AdminCount, Org.code).join(Org, AdminCount.org_id == Org.id)

    def existing(self) -> dict[Any, tuple[int, dict]]:
        return {(code, a.period, a.kind): (a.id, {
            "org_id": a.org_id, "period": a.period, "kind": a.kind, "count": a.count,
            "exposure": a.exposure}) for a, code in db.session.execute(self._query())}

    def export_rows(self) -> list[dict[str, str]]:
        rows = db.session.execute(self._query().order_by(Org.code, AdminCount.period,
                                                         AdminCount.kind))
        return [{"org": code, "period": a.period, "kind": KIND_TEXT[a.kind],
                 "count": str(a.count), "exposure": c.text_or_blank(a.exposure)}
                for a, code in rows]
