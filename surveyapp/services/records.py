"""Points, veto events and exemptions: checked against ``indices.yaml``, stored, listed, and
handed to ``scoring`` in the shapes :func:`scoring.indices.compute_indices` takes.

Which events and exemptions exist is read from the indices definition, never from code: an
index whose ``unit`` is ``member`` lists the events that zero a member's score and the
exemptions a member may have; an index whose unit is ``village`` lists the events that veto a
village organisation. A stored event the definition no longer lists is kept but ignored.

Time (DOMAIN §9.2): an assessment is of a calendar year, the year its wave starts.

- points: the bonuses and deductions of that year (every period in it, quarters included);
  when the year has none yet, the latest earlier year that has some, as the waves of an
  instrument are chosen;
- vetoes: events from ``lookback_years`` calendar years ending with that year (1: the
  year itself; 2: also the year before);
- exemptions: those in force at any time during that year.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from surveyapp.extensions import db
from surveyapp.models import (
    VILLAGE_KINDS,
    Exemption,
    Org,
    Person,
    PointsEntry,
    PointsKind,
    User,
    VetoEvent,
)
from surveyapp.services import audit
from surveyapp.services.counts import parse_period

POINTS_KIND_NAMES = {"加分": PointsKind.BONUS, "扣分": PointsKind.DEDUCTION}
POINTS_KIND_TEXT = {kind: name for name, kind in POINTS_KIND_NAMES.items()}
# Display names of the exemption ids indices.yaml uses; an id without one shows as itself.
EXEMPTION_LABELS = {
    "age_over_70": _l("年满 70 周岁"),
    "abroad_over_6_months": _l("出国（境）6 个月以上"),
    "bedridden": _l("长期卧床"),
}
AGE_EXEMPTION = "age_over_70"
MAX_POINTS = 100


class RecordRefused(ValueError):
    """A record the rules do not allow; the message is one Chinese line for the user."""


@dataclass(frozen=True, slots=True)
class VetoRule:
    index: str
    title: str
    effect: str  # zero | lowest_grade
    lookback_years: int


def veto_rules(spec: Mapping[str, Any], unit: str) -> dict[str, VetoRule]:
    """Event name -> its rule, for the indices whose unit is ``unit`` (member or village)."""
    rules: dict[str, VetoRule] = {}
    for name, index in spec["indices"].items():
        vetoes = index.get("vetoes")
        if index.get("unit") != unit or not vetoes:
            continue
        for event in vetoes["events"]:
            rule = VetoRule(name, index["title"], vetoes["effect"],
                            int(vetoes.get("lookback_years") or 1))
            if event not in rules or rule.lookback_years > rules[event].lookback_years:
                rules[event] = rule
    return rules


def exemption_reasons(spec: Mapping[str, Any]) -> list[str]:
    """The exemption ids of the member indices, in the file's order."""
    found: dict[str, None] = {}
    for index in spec["indices"].values():
        if index.get("unit") == "member":
            found |= dict.fromkeys(index.get("exemptions") or ())
    return list(found)


def exemption_label(reason: str) -> str:
    return str(EXEMPTION_LABELS.get(reason, reason))


def exemption_reason(text: str, spec: Mapping[str, Any]) -> str:
    """The id of an exemption written as its id or its display name.

    Raises
    ------
    RecordRefused
        The definition allows no such exemption.
    """
    allowed = exemption_reasons(spec)
    for reason in allowed:
        # A roster is the same file whatever language the admin's screen is in: accept the
        # Chinese name as well as the name in the current language.
        with force_locale("zh_CN"):
            chinese = exemption_label(reason)
        if text.strip() in (reason, chinese, exemption_label(reason)):
            return reason
    names = "、".join(exemption_label(r) for r in allowed) or _("（无）")
    raise RecordRefused(_("免评情形“%(value)s”不在指数定义中，可选：%(allowed)s", value=text,
                          allowed=names))


def check_event(event: str, unit: str, spec: Mapping[str, Any]) -> VetoRule:
    """The rule of ``event`` for a member or a village organisation, or RecordRefused."""
    rules = veto_rules(spec, unit)
    if event.strip() in rules:
        return rules[event.strip()]
    names = "、".join(rules) or _("（无）")
    if unit == "member":
        message = _("“%(value)s”不是指数定义中党员的清零事项，可选：%(allowed)s",
                    value=event, allowed=names)
    else:
        message = _("“%(value)s”不是指数定义中村（社区）党组织的否决事项，可选：%(allowed)s",
                    value=event, allowed=names)
    raise RecordRefused(message)


def check_member(person: Person) -> None:
    if not person.is_member:
        raise RecordRefused(_("%(code)s 不是党员", code=person.code))


def check_village(org: Org) -> None:
    if org.kind not in VILLAGE_KINDS:
        raise RecordRefused(_("%(code)s 不是村或社区", code=org.code))


def check_exemption(birth_year: int | None, reason: str, starts_on: date,
                    ends_on: date | None) -> None:
    if ends_on is not None and ends_on < starts_on:
        raise RecordRefused(_("结束日期早于开始日期"))
    if reason == AGE_EXEMPTION and birth_year is not None and starts_on.year - birth_year < 70:
        raise RecordRefused(_("生于 %(born)s 年，%(year)s 年未满 70 周岁", born=birth_year,
                              year=starts_on.year))


def check_points(points: float) -> None:
    if not 0 < points <= MAX_POINTS:
        raise RecordRefused(_("分值应大于 0、不超过 %(max)s", max=MAX_POINTS))


# Writing ------------------------------------------------------------------------------------


def record_points(person: Person, period: str, kind: PointsKind, points: float, reason: str,
                  *, by: User | None) -> PointsEntry:
    """Add a bonus or deduction, or correct the points of the same period, kind and reason."""
    check_member(person)
    check_points(points)
    try:
        period = parse_period(period)
    except ValueError:
        raise RecordRefused(_("期间无效，请写成 2025、2025-H1、2025-Q3 或 2025-07")) from None
    reason = reason.strip()
    entry = db.session.scalar(sa.select(PointsEntry).where(
        PointsEntry.person_id == person.id, PointsEntry.period == period,
        PointsEntry.kind == kind, PointsEntry.reason == reason))
    before = None if entry is None else entry.points
    if entry is None:
        entry = PointsEntry(person_id=person.id, period=period, kind=kind, points=points,
                            reason=reason)
        db.session.add(entry)
    else:
        entry.points = points
    audit.record("points.set", user=by, target_type="person", target=person.code,
                 detail={"period": period, "kind": kind.value, "reason": reason,
                         "before": before, "after": points})
    db.session.commit()
    return entry


def record_veto(unit: Person | Org, event: str, occurred_on: date, note: str | None,
                spec: Mapping[str, Any], *, by: User | None) -> VetoEvent:
    """Record an event for a member or a village organisation; the same event on the same
    day is recorded once."""
    is_person = isinstance(unit, Person)
    if is_person:
        check_member(unit)
    else:
        check_village(unit)
    event = event.strip()
    check_event(event, "member" if is_person else "village", spec)
    column = VetoEvent.person_id if is_person else VetoEvent.org_id
    found = db.session.scalar(sa.select(VetoEvent).where(
        column == unit.id, VetoEvent.event == event, VetoEvent.occurred_on == occurred_on))
    if found is not None:
        raise RecordRefused(_("%(code)s 在 %(day)s 已记录“%(event)s”", code=unit.code,
                              day=occurred_on.isoformat(), event=event))
    row = VetoEvent(person_id=unit.id if is_person else None,
                    org_id=None if is_person else unit.id,
                    event=event, occurred_on=occurred_on, note=note or None)
    db.session.add(row)
    audit.record("veto.add", user=by, target_type="person" if is_person else "org",
                 target=unit.code, detail={"event": event, "date": occurred_on.isoformat(),
                                           "note": note or None})
    db.session.commit()
    return row


def record_exemption(person: Person, reason: str, starts_on: date, ends_on: date | None,
                     note: str | None, spec: Mapping[str, Any], *,
                     by: User | None) -> Exemption:
    """Add an exemption, or change the end date and note of the one starting that day."""
    check_member(person)
    reason = exemption_reason(reason, spec)
    check_exemption(person.birth_year, reason, starts_on, ends_on)
    row = db.session.scalar(sa.select(Exemption).where(
        Exemption.person_id == person.id, Exemption.reason == reason,
        Exemption.starts_on == starts_on))
    if row is None:
        row = Exemption(person_id=person.id, reason=reason, starts_on=starts_on)
        db.session.add(row)
    row.ends_on, row.note = ends_on, note or None
    audit.record("exemption.set", user=by, target_type="person", target=person.code,
                 detail={"reason": reason, "from": starts_on.isoformat(),
                         "to": ends_on.isoformat() if ends_on else None})
    db.session.commit()
    return row


# Reading ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OrgRecords:
    """An organisation's own veto events and its members' points, events and exemptions."""

    org: Org
    members: list[Person]
    points: list[tuple[PointsEntry, Person]]
    vetoes: list[tuple[VetoEvent, str, str]]  # event, unit code, unit name
    exemptions: list[tuple[Exemption, Person]]


def villages() -> list[Org]:
    """Villages and communities in use, for picking one on the admin page."""
    return list(db.session.scalars(sa.select(Org).where(
        Org.kind.in_(VILLAGE_KINDS), Org.retired_at.is_(None)).order_by(Org.code)))


def records_for(org: Org) -> OrgRecords:
    members = list(db.session.scalars(sa.select(Person).where(
        Person.org_id == org.id, Person.is_member).order_by(Person.code)))
    ids = [p.id for p in members]
    points = list(db.session.execute(
        sa.select(PointsEntry, Person).join(Person, PointsEntry.person_id == Person.id)
        .where(Person.org_id == org.id)
        .order_by(PointsEntry.period.desc(), Person.code, PointsEntry.kind, PointsEntry.id)))
    vetoes = [(v, org.code, org.name) for v in db.session.scalars(
        sa.select(VetoEvent).where(VetoEvent.org_id == org.id))]
    vetoes += [(v, p.code, p.name) for v, p in db.session.execute(
        sa.select(VetoEvent, Person).join(Person, VetoEvent.person_id == Person.id)
        .where(VetoEvent.person_id.in_(ids)))]
    vetoes.sort(key=lambda r: (r[0].occurred_on, r[1]), reverse=True)
    exemptions = list(db.session.execute(
        sa.select(Exemption, Person).join(Person, Exemption.person_id == Person.id)
        .where(Exemption.person_id.in_(ids))
        .order_by(Exemption.starts_on.desc(), Person.code)))
    return OrgRecords(org, members, [tuple(r) for r in points], vetoes,
                      [tuple(r) for r in exemptions])


def scoring_records(year: int, spec: Mapping[str, Any]) -> dict[str, Any]:
    """``points``, ``vetoes`` and ``exempt`` for :func:`scoring.indices.compute_indices`,
    for the assessment of calendar year ``year``."""
    return {"points": points_of(year), "vetoes": vetoes_of(year, spec),
            "exempt": exemptions_of(year, spec)}


def points_of(year: int) -> dict[str, dict[str, float]] | None:
    """Member code -> ``{"bonus", "deductions"}`` summed over the year; None when the county
    has recorded no points up to that year (scoring then leaves the component out)."""
    years = [int(p[:4]) for p in db.session.scalars(sa.select(PointsEntry.period).distinct())]
    earlier = [y for y in years if y <= year]
    if not earlier:
        return None
    chosen = str(max(earlier))
    found = db.session.execute(
        sa.select(Person.code, PointsEntry.kind, sa.func.sum(PointsEntry.points))
        .join(Person, PointsEntry.person_id == Person.id)
        .where(sa.or_(PointsEntry.period == chosen, PointsEntry.period.like(f"{chosen}-%")))
        .group_by(Person.code, PointsEntry.kind))
    key = {PointsKind.BONUS: "bonus", PointsKind.DEDUCTION: "deductions"}
    out: dict[str, dict[str, float]] = {}
    for code, kind, total in found:
        out.setdefault(code, {})[key[PointsKind(kind)]] = float(total)
    return out


def vetoes_of(year: int, spec: Mapping[str, Any]) -> dict[str, list[str]]:
    """Member or village code -> the events inside their index's look-back window."""
    out: dict[str, list[str]] = {}
    for unit, column, model in (("member", VetoEvent.person_id, Person),
                                ("village", VetoEvent.org_id, Org)):
        rules = veto_rules(spec, unit)
        if not rules:
            continue
        longest = max(r.lookback_years for r in rules.values())
        found = db.session.execute(
            sa.select(model.code, VetoEvent.event, VetoEvent.occurred_on)
            .join(model, column == model.id)
            .where(VetoEvent.event.in_(list(rules)),
                   VetoEvent.occurred_on >= date(year - longest + 1, 1, 1),
                   VetoEvent.occurred_on <= date(year, 12, 31))
            .order_by(VetoEvent.occurred_on))
        for code, event, day in found:
            if day.year > year - rules[event].lookback_years and event not in out.get(code, ()):
                out.setdefault(code, []).append(event)
    return out


def exemptions_of(year: int, spec: Mapping[str, Any]) -> dict[str, list[str]]:
    """Member code -> the display names of the exemptions in force during the year."""
    reasons = exemption_reasons(spec)
    if not reasons:
        return {}
    found = db.session.execute(
        sa.select(Person.code, Exemption.reason)
        .join(Person, Exemption.person_id == Person.id)
        .where(Exemption.reason.in_(reasons),
               Exemption.starts_on <= date(year, 12, 31),
               sa.or_(Exemption.ends_on.is_(None), Exemption.ends_on >= date(year, 1, 1)))
        .order_by(Person.code, Exemption.starts_on))
    out: dict[str, list[str]] = {}
    for code, reason in found:
        label = exemption_label(reason)
        if label not in out.get(code, ()):
            out.setdefault(code, []).append(label)
    return out
