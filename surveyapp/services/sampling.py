"""Drawn households: the probability sample of a wave, its call sheets and interview outcomes.

The design is stratified by township with every target village taken, and a simple random
sample of households within each village, so a household's inclusion probability is
``n_village / N_village`` and its weight the inverse. The draw for a village depends only on
the seed and the village's code (households in code order), so adding a village to the county
never changes another village's sample, and the same seed always gives the same households.

A household's identity never reaches its answers: an interview's draft carries the weight and
the mode, and the outcome is written back to `SampledHousehold`, which knows nothing of answers.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.models import (
    Household,
    Mode,
    Org,
    Outcome,
    SampledHousehold,
    User,
    Wave,
)
from surveyapp.services import audit
from surveyapp.services.scope import OutOfScope, visible_org_ids
from surveyapp.services.waves import render_pdf, require_open, wave_villages


class SampleExists(ValueError):
    """The wave already has a drawn sample; redrawing needs an explicit replace."""


class SampleInUse(ValueError):
    """Interviews have outcomes; a sample that has been worked on is never redrawn."""


class NotDrawn(LookupError):
    """No drawn household of this id in this wave."""


class OutcomeAlreadySet(ValueError):
    """The household's interview already has an outcome."""


DEFAULT_PER_VILLAGE = 40  # DOMAIN §9.2 sampling.citizen.target_completes
INTERVIEW_MODES = (Mode.FACE_TO_FACE, Mode.PHONE)
RECORDABLE_OUTCOMES = (Outcome.REFUSED, Outcome.NON_CONTACT, Outcome.INELIGIBLE)


@dataclass(frozen=True, slots=True)
class VillageDraw:
    code: str
    name: str
    township: str
    households: int
    drawn: int
    inclusion_probability: float


def village_rng(seed: int, village_code: str) -> np.random.Generator:
    """A generator for one village's draw, from the seed and the village code only."""
    digest = hashlib.sha256(f"{seed}/{village_code}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "big"))


def has_sample(wave: Wave) -> bool:
    return db.session.scalar(
        sa.select(sa.func.count()).where(SampledHousehold.wave_id == wave.id)
    ) > 0


def draw_sample(wave: Wave, *, per_village: int | None, seed: int, replace: bool = False,
                user: User | None = None) -> list[VillageDraw]:
    """Draw ``per_village`` households (all of them in smaller villages) in every village of
    the wave and store them with their inclusion probabilities. Commits once.

    Raises
    ------
    ValueError
        ``per_village`` is below 1.
    SampleExists
        The wave has a sample and ``replace`` is false.
    SampleInUse
        ``replace`` was asked for but some drawn households already have an outcome.
    """
    size = per_village or wave.target_per_village or DEFAULT_PER_VILLAGE
    if size < 1:
        raise ValueError(f"per_village ({size}) must be at least 1")
    if has_sample(wave):
        if not replace:
            raise SampleExists(wave.code)
        _delete_unworked_sample(wave)
    draws = []
    for village in wave_villages(wave):
        draws.append(_draw_village(wave, village, size, seed))
    audit.record("wave.sample", user=user, target_type="wave", target=wave.code,
                 detail={"seed": seed, "per_village": size, "replace": replace})
    db.session.commit()
    return draws


def _delete_unworked_sample(wave: Wave) -> None:
    worked = db.session.scalar(
        sa.select(sa.func.count()).where(
            SampledHousehold.wave_id == wave.id, SampledHousehold.outcome != Outcome.PENDING
        )
    )
    if worked:
        raise SampleInUse(f"{wave.code}: {worked} 户已有访问结果")
    db.session.execute(sa.delete(SampledHousehold).where(SampledHousehold.wave_id == wave.id))


def _draw_village(wave: Wave, village: Org, size: int, seed: int) -> VillageDraw:
    household_ids = list(
        db.session.scalars(
            sa.select(Household.id).where(Household.village_id == village.id)
            .order_by(Household.code)
        )
    )
    population = len(household_ids)
    n = min(size, population)
    township = village.parent.name if village.parent else ""
    if n == 0:
        return VillageDraw(village.code, village.name, township, 0, 0, 0.0)
    picked = village_rng(seed, village.code).choice(population, size=n, replace=False)
    probability = n / population
    db.session.add_all(
        SampledHousehold(wave_id=wave.id, household_id=household_ids[int(index)],
                         village_id=village.id, inclusion_probability=probability,
                         draw_order=order)
        for order, index in enumerate(picked, start=1)
    )
    return VillageDraw(village.code, village.name, township, population, n, probability)


# --- what interviewers see and do ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DrawnHousehold:
    id: int
    draw_order: int
    village_code: str
    village_name: str
    household_code: str
    head_name: str
    phone: str
    address: str
    weight: float
    outcome: Outcome
    outcome_on: date | None


def drawn_households(wave: Wave, *, user: User | None = None, village: Org | None = None
                     ) -> list[DrawnHousehold]:
    """The wave's drawn households, in draw order per village; only those in the user's scope
    when a user is given (scope from services/scope.py)."""
    query = (
        sa.select(SampledHousehold, Household, Org)
        .join(Household, SampledHousehold.household_id == Household.id)
        .join(Org, SampledHousehold.village_id == Org.id)
        .where(SampledHousehold.wave_id == wave.id)
        .order_by(Org.code, SampledHousehold.draw_order)
    )
    if user is not None:
        visible = visible_org_ids(user)
        if visible is not None:
            query = query.where(SampledHousehold.village_id.in_(visible))
    if village is not None:
        query = query.where(SampledHousehold.village_id == village.id)
    return [
        DrawnHousehold(s.id, s.draw_order, o.code, o.name, h.code, h.head_name or "",
                       h.phone or "", h.address or "", 1 / s.inclusion_probability, s.outcome,
                       s.outcome_on)
        for s, h, o in db.session.execute(query)
    ]


def get_drawn(wave: Wave, sampled_id: int, user: User) -> SampledHousehold:
    """A drawn household of the wave that the user may visit."""
    sampled = db.session.get(SampledHousehold, sampled_id)
    if sampled is None or sampled.wave_id != wave.id:
        raise NotDrawn(sampled_id)
    visible = visible_org_ids(user)
    if visible is not None and sampled.village_id not in visible:
        raise OutOfScope(str(sampled_id))
    return sampled


def record_outcome(wave: Wave, sampled_id: int, outcome: Outcome, user: User) -> SampledHousehold:
    """A refusal, a non-contact or an ineligible household, written by the interviewer.
    A complete interview is written by the submission itself, never by hand."""
    if outcome not in RECORDABLE_OUTCOMES:
        allowed = [o.value for o in RECORDABLE_OUTCOMES]
        raise ValueError(f"outcome ({outcome}) must be one of {allowed}")
    require_open(wave)
    sampled = get_drawn(wave, sampled_id, user)
    if sampled.outcome is not Outcome.PENDING:
        raise OutcomeAlreadySet(str(sampled_id))
    sampled.outcome = outcome
    sampled.outcome_on = date.today()
    audit.record("interview.outcome", user=user, target_type="sampled_household",
                 target=str(sampled.id), detail={"outcome": outcome.value})
    db.session.commit()
    return sampled


def interview_context(sampled: SampledHousehold, mode: Mode) -> dict[str, Any]:
    """What an interview's draft carries: recruitment, mode and weight, and the drawn
    household's row id only so the submission can mark it complete."""
    if mode not in INTERVIEW_MODES:
        raise ValueError(f"mode ({mode}) must be face_to_face or phone")
    return {
        "recruitment": "drawn_household",
        "mode": mode.value,
        "weight": 1 / sampled.inclusion_probability,
        "sampled_household_id": sampled.id,
    }


# --- call sheets --------------------------------------------------------------------------


def call_sheet_context(wave: Wave, village: Org) -> dict[str, Any]:
    rows = drawn_households(wave, village=village)
    return {
        "wave_name": wave.name,
        "wave_code": wave.code,
        "title": wave.questionnaire_version.title,
        "village_name": village.name,
        "village_code": village.code,
        "township_name": village.parent.name if village.parent else "",
        "starts_on": wave.starts_on.isoformat(),
        "ends_on": wave.ends_on.isoformat(),
        "rows": [
            {"order": r.draw_order, "code": r.household_code, "head": r.head_name,
             "phone": r.phone, "address": r.address}
            for r in rows
        ],
    }


def call_sheet_pdf(wave: Wave, village: Org) -> bytes:
    return render_pdf("print/call_sheet.html", **call_sheet_context(wave, village))


def write_call_sheets(wave: Wave, out_dir: Path, villages: Sequence[Org] | None = None
                      ) -> list[Path]:
    """One PDF per village with drawn households, ``<wave>-<village>-calls.pdf``."""
    written = []
    for village in villages if villages is not None else wave_villages(wave):
        context = call_sheet_context(wave, village)
        if not context["rows"]:
            continue
        path = out_dir / f"{wave.code}-{village.code}-calls.pdf"
        path.write_bytes(render_pdf("print/call_sheet.html", **context))
        written.append(path)
    return written
