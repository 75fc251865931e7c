"""Points, veto events and exemptions reach the indices through services/estimates."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa

from scoring.indices import EXEMPT, IndexResult
from surveyapp.models import Exemption, Org, Person, PointsEntry, PointsKind, VetoEvent
from surveyapp.services.estimates import compute_indices, gather

WAVE = "citizen_approval-2025-11"  # an assessment of 2025


def results(index: str) -> dict[str, IndexResult]:
    return {r.unit: r for r in compute_indices(WAVE, "village").results if r.index == index}


def plain_members(db: Any, pioneers: dict[str, IndexResult], k: int) -> list[Person]:
    """Graded members with no veto or exemption of their own, so the demo's plants stay out."""
    marked = set(db.session.scalars(sa.select(VetoEvent.person_id).where(
        VetoEvent.person_id.is_not(None)))) | set(db.session.scalars(
            sa.select(Exemption.person_id)))
    found = db.session.scalars(sa.select(Person).where(
        Person.code.in_([u for u, r in pioneers.items() if r.estimate is not None]),
        Person.id.not_in(marked)).order_by(Person.code))
    return list(found)[:k]


def test_a_vetoed_member_shows_the_score_before_the_veto_and_is_zeroed_at_the_lowest_grade(
        demo_county: Any, db: Any) -> None:
    before = results("pioneer")
    member, old_event = plain_members(db, before, 2)
    db.session.add_all([
        VetoEvent(person_id=member.id, event="受到党纪处分", occurred_on=date(2025, 5, 4)),
        # pioneer looks back one year: an event of 2024 no longer counts in 2025
        VetoEvent(person_id=old_event.id, event="违法犯罪", occurred_on=date(2024, 12, 30)),
    ])
    db.session.flush()
    after = results("pioneer")
    vetoed = after[member.code]
    assert vetoed.score_before_veto == before[member.code].estimate.estimate
    assert vetoed.estimate.estimate == 0 and vetoed.vetoed_by == ("受到党纪处分",)
    assert [(g.label, g.reason) for g in vetoed.grades] == [("一星", "清零")]
    assert after[old_event.code].estimate == before[old_event.code].estimate
    assert not after[old_event.code].vetoed_by


def test_village_events_reach_scoring_within_the_two_year_window_only(
        demo_county: Any, db: Any) -> None:
    # No small-county village has enough member raters for a published fortress index, and
    # scoring applies a veto only to a published score, so this checks what gather() hands on.
    village, other = db.session.scalars(sa.select(Org).where(Org.code.in_(
        ["QY01V02", "QY02V03"])).order_by(Org.code))
    db.session.add_all([
        VetoEvent(org_id=village.id, event="村级财务严重违规", occurred_on=date(2024, 3, 1)),
        VetoEvent(org_id=other.id, event="两委成员被立案审查", occurred_on=date(2023, 12, 31)),
    ])
    db.session.flush()
    vetoes = gather(WAVE).records["vetoes"]
    assert "村级财务严重违规" in vetoes[village.code]
    assert "两委成员被立案审查" not in vetoes.get(other.code, [])


def test_an_exempt_member_is_not_assessed(demo_county: Any, db: Any) -> None:
    (member,) = plain_members(db, results("pioneer"), 1)
    db.session.add(Exemption(person_id=member.id, reason="bedridden",
                             starts_on=date(2024, 6, 1), ends_on=date(2025, 2, 1)))
    db.session.flush()
    exempt = results("pioneer")[member.code]
    assert exempt.status == EXEMPT and exempt.estimate is None and not exempt.grades
    assert exempt.notes == ("免评：长期卧床",)


def test_points_are_base_plus_capped_bonus_minus_deductions_with_no_variance(
        demo_county: Any, db: Any) -> None:
    first, second = plain_members(db, results("pioneer"), 2)
    db.session.execute(sa.delete(PointsEntry).where(PointsEntry.person_id.in_(
        [first.id, second.id])))
    db.session.add_all([
        PointsEntry(person_id=first.id, period="2025-Q1", kind=PointsKind.BONUS, points=30,
                    reason="志愿服务"),
        PointsEntry(person_id=first.id, period="2025-Q3", kind=PointsKind.BONUS, points=25,
                    reason="带头致富"),
        PointsEntry(person_id=first.id, period="2025-Q2", kind=PointsKind.DEDUCTION, points=5,
                    reason="缺席组织生活"),
        PointsEntry(person_id=second.id, period="2024", kind=PointsKind.BONUS, points=10,
                    reason="上一年度"),
    ])
    db.session.flush()
    pioneers = results("pioneer")
    points = {u: next(c for c in r.components if c.id == "organisation_points")
              for u, r in pioneers.items() if r.components}
    # 60 + min(55, cap 40) - 5; a member without entries in 2025 keeps the base
    assert points[first.code].estimate.estimate == 95
    assert points[second.code].estimate.estimate == 60
    assert {(c.kind, c.estimate.se) for c in points.values()} == {("fixed", 0.0)}
