"""Points, veto events and exemptions of the demo county, as its organisations would keep them.

Every village member gets quarterly points for the annual assessment year (bonuses often,
deductions sometimes). A few members are exempt or zeroed and a few village organisations
vetoed, one per township of each, with names read from ``indices.yaml`` (never spelled here),
and one veto older than any look-back window so the window can be seen to work.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from surveyapp.demo.county import CountyIds
from surveyapp.demo.plan import CountyPlan, rng_for
from surveyapp.models import Exemption, Person, PointsEntry, PointsKind, VetoEvent
from surveyapp.questionnaire.check import DEFAULT_DIR
from surveyapp.services.records import AGE_EXEMPTION, exemption_reasons, veto_rules

YEAR = 2025  # the year of the demo's annual wave
QUARTERS = tuple(f"{YEAR}-Q{q}" for q in range(1, 5))
BONUS_RATE, DEDUCTION_RATE = 0.5, 0.12  # per member and quarter
BONUSES = ("参加志愿服务", "带头调解邻里矛盾", "联系服务群众", "带头发展产业")
DEDUCTIONS = ("无故缺席组织生活", "未按时交纳党费", "联户走访不到位")
SPARED_MEMBERS = 3  # the first members of a village (its cadres and the demo logins) stay plain


@dataclass(frozen=True, slots=True)
class RecordsWritten:
    points: int
    vetoes: int
    exemptions: int


def write_records(
    session: Session, plan: CountyPlan, ids: CountyIds, questionnaires_dir: str | None = None
) -> RecordsWritten:
    spec = yaml.safe_load((Path(questionnaires_dir or DEFAULT_DIR) / "indices.yaml").read_text(
        encoding="utf-8"))
    rng = rng_for(plan.seed, "records")
    members = [m for t in plan.townships for v in t.villages for m in ids.members[v.code]]
    born = dict(session.execute(select(Person.id, Person.birth_year).where(
        Person.id.in_(members))).all()) if members else {}
    points = _points(rng, members)
    vetoes, exemptions = [], []
    member_events = list(veto_rules(spec, "member"))
    village_events = list(veto_rules(spec, "village"))
    reasons = exemption_reasons(spec)
    for k, township in enumerate(plan.townships):
        candidates = [m for v in township.villages for m in ids.members[v.code][SPARED_MEMBERS:]]
        chosen = [int(m) for m in rng.permutation(candidates)]
        if member_events and chosen:
            vetoes.append({"person_id": chosen.pop(), "org_id": None, "note": "演示数据",
                           "event": member_events[k % len(member_events)],
                           "occurred_on": date(YEAR, 3 + k % 9, 15)})
        for reason in reasons:
            person = _exempt_member(chosen, born, reason)
            if person is not None:
                exemptions.append({"person_id": person, "reason": reason, "note": "演示数据",
                                   "starts_on": date(YEAR - 1, 7, 1), "ends_on": None})
        if village_events and township.villages:
            village = township.villages[-1]
            vetoes.append({"person_id": None, "org_id": ids.org[village.code], "note": "演示数据",
                           "event": village_events[k % len(village_events)],
                           "occurred_on": date(YEAR - 1, 10, 20)})
    if village_events and plan.townships and plan.townships[0].villages:
        # Older than any look-back window: stored, listed, never counted.
        vetoes.append({"person_id": None, "note": "演示数据（已超出回溯期）",
                       "org_id": ids.org[plan.townships[0].villages[0].code],
                       "event": village_events[0], "occurred_on": date(YEAR - 5, 5, 1)})
    for model, rows in ((PointsEntry, points), (VetoEvent, vetoes), (Exemption, exemptions)):
        if rows:
            session.execute(insert(model), rows)
    return RecordsWritten(len(points), len(vetoes), len(exemptions))


def _points(rng: np.random.Generator, members: list[int]) -> list[dict[str, Any]]:
    n = len(members)
    rows = []
    for quarter in QUARTERS:
        bonus = rng.random(n) < BONUS_RATE
        deduction = rng.random(n) < DEDUCTION_RATE
        bonus_points = rng.integers(1, 6, n)
        deduction_points = rng.integers(1, 4, n)
        bonus_reason = rng.integers(0, len(BONUSES), n)
        deduction_reason = rng.integers(0, len(DEDUCTIONS), n)
        for i in np.flatnonzero(bonus):
            rows.append({"person_id": members[i], "period": quarter, "kind": PointsKind.BONUS,
                         "points": float(bonus_points[i]), "reason": BONUSES[bonus_reason[i]]})
        for i in np.flatnonzero(deduction):
            rows.append({"person_id": members[i], "period": quarter,
                         "kind": PointsKind.DEDUCTION, "points": float(deduction_points[i]),
                         "reason": DEDUCTIONS[deduction_reason[i]]})
    return rows


def _exempt_member(chosen: list[int], born: dict[int, int | None], reason: str) -> int | None:
    """A member who fits the reason (the age exemption needs a member aged 70 or more)."""
    for person in reversed(chosen):
        age = YEAR - born[person] if born.get(person) else None
        if reason != AGE_EXEMPTION or (age is not None and age >= 70):
            chosen.remove(person)
            return person
    return None
