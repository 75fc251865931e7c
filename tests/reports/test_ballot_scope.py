"""The 民主测评 sheet of a township lists its own people's tallies, matched by person code: a
namesake in another township never brings their tally along."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from surveyapp.models import Person
from surveyapp.services import reports
from surveyapp.services.scope import subtree_ids

WAVE = "citizen_approval-2026-11"


def test_ballot_sheet_matches_subjects_by_code_so_namesakes_elsewhere_stay_out(
    app: Any, db: Any
) -> None:
    wave = reports.find_wave(WAVE)
    qy01, qy02 = reports.find_org("QY01"), reports.find_org("QY02")
    subjects = {t.subject for t in reports.results(wave, "township").ballots}
    inside = set(
        db.session.scalars(sa.select(Person.code).where(Person.org_id.in_(subtree_ids(qy01.id))))
    )
    outsider = db.session.scalar(
        sa.select(Person)
        .where(Person.code.in_(subjects), Person.org_id.in_(subtree_ids(qy02.id)))
        .order_by(Person.code)
    )
    namesake = db.session.scalar(
        sa.select(Person).where(Person.code.in_(inside - subjects)).order_by(Person.code)
    )
    namesake.name = outsider.name  # two people of one name, in different townships
    db.session.commit()

    sheet = reports.report_data(reports.check_request("ballot", wave, qy01))["ballots"]
    assert {b["code"] for b in sheet} == subjects & inside
    assert outsider.code not in {b["code"] for b in sheet}
    assert outsider.name not in {b["subject"] for b in sheet}
    other = reports.ballots(wave, qy02)
    assert outsider.code in {b["code"] for b in other}
    assert {b["subject"] for b in other if b["code"] == outsider.code} == {outsider.name}
