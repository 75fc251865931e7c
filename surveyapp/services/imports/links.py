"""Import kind ``links``: which party member serves which households (党员联户).

A file adds links; it never removes one that it does not list, so a township can send its
own sheet without erasing the others'.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from surveyapp.extensions import db
from surveyapp.models import VILLAGE_KINDS, Household, Org, Person
from surveyapp.models.people import member_household
from surveyapp.services.imports import common as c


class LinksKind(c.Kind):
    name = "links"
    title = _l("党员联户")
    model = member_household
    columns = [
        c.Column("person", "党员编码", c.code, required=True, example="P000001"),
        c.Column("household", "户编码", c.code, required=True, example="QY01V01H0001"),
    ]

    def records(self, rows: list[c.Row], errors: c.Errors) -> dict[Any, tuple[int, dict]]:
        person_col, household_col = self.columns
        c.check_duplicates(rows, household_col,
                           lambda r: (r.values["person"], r.values["household"]), errors)
        people = {code: (id_, member, org) for id_, code, member, org in db.session.execute(
            sa.select(Person.id, Person.code, Person.is_member, Person.org_id))}
        households = {code: (id_, village) for id_, code, village in db.session.execute(
            sa.select(Household.id, Household.code, Household.village_id))}
        villages = set(db.session.scalars(sa.select(Org.id).where(Org.kind.in_(VILLAGE_KINDS))))
        records: dict[Any, tuple[int, dict]] = {}
        for row in rows:
            person_code, household_code = row.values["person"], row.values["household"]
            if person_code is None or household_code is None:
                continue
            person = people.get(person_code)
            household = households.get(household_code)
            if person is None:
                errors.add(row.number, person_col, _("人员编码 %(code)s 不存在", code=person_code))
            elif not person[1]:
                errors.add(row.number, person_col, _("%(code)s 不是党员", code=person_code))
            elif household is None:
                errors.add(row.number, household_col,
                           _("户编码 %(code)s 不存在", code=household_code))
            elif person[2] in villages and person[2] != household[1]:
                errors.add(row.number, household_col,
                           _("户 %(household)s 不在党员 %(person)s 所在的村（社区）",
                             household=household_code, person=person_code))
            else:
                records.setdefault((person_code, household_code), (
                    row.number, {"person_id": person[0], "household_id": household[0]}))
        return records

    def existing(self) -> dict[Any, tuple[int, dict]]:
        query = (sa.select(Person.code, Household.code, Person.id, Household.id)
                 .join(member_household, member_household.c.person_id == Person.id)
                 .join(Household, member_household.c.household_id == Household.id))
        return {(p, h): (0, {"person_id": pid, "household_id": hid})
                for p, h, pid, hid in db.session.execute(query)}

    def apply(self, diff: c.Diff) -> None:
        if diff.adds:
            db.session.execute(sa.insert(member_household), diff.adds)

    def export_rows(self) -> list[dict[str, str]]:
        return [{"person": p, "household": h} for p, h in sorted(self.existing())]
