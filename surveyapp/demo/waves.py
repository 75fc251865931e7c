"""Waves and responses of the demo county, for whichever instruments are stored.

Each instrument is matched to the people who answer it by its metadata alone (audience,
subject kind and role, anonymity), never by its id, so a county's own files work as well:

- citizens (no subject): two waves, a closed baseline and an open second wave. In every village
  households are drawn from the roster (`SampledHousehold`, with interview outcomes; part of the
  open wave's draw is still pending) and the completes answer with weight 1 / inclusion
  probability; QR-poster answers come on top. Planted village and township effects, a few tiny
  samples, too-fast and straight-line answers and one same-day burst;
- everything else: one closed annual wave — households rate their linked member, members
  rate each other and their village organisation, township colleagues ballot on cadres,
  cadres assess themselves, village secretaries self-check and rate their township. Who may
  answer (`Eligibility`) and who did (`Participation`) are stored apart from the answers.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from surveyapp.demo.answers import AnswerGenerator, Respondent, clamp
from surveyapp.demo.county import CountyIds, bulk_insert
from surveyapp.demo.plan import AGE_GROUPS, SEXES, CountyPlan, VillagePlan, rng_for
from surveyapp.models import (
    DurationBucket,
    Eligibility,
    Mode,
    Outcome,
    Participation,
    QuestionnaireVersion,
    Recruitment,
    Response,
    SampledHousehold,
    Wave,
    WaveStatus,
)
from surveyapp.models.wave import wave_target
from surveyapp.questionnaire.check import DEFAULT_DIR, check_paths

TARGET_COMPLETES = 40  # DOMAIN §9.2 sampling.citizen.target_completes
HOUSEHOLDS_DRAWN = 50  # about 35 completes at the outcome shares below, plus poster answers
POSTER_MEAN = 12
# Interview outcomes of drawn households: complete, refused, not reached, not eligible.
OUTCOMES = (Outcome.COMPLETE, Outcome.REFUSED, Outcome.NON_CONTACT, Outcome.INELIGIBLE)
OUTCOME_SHARES = (0.7, 0.14, 0.13, 0.03)
VISITED_SO_FAR = 0.6  # of an open wave's draw; the rest are still pending
TURNOUT = 0.9  # account holders who answer the annual forms they may answer
TOO_FAST_RATE = 0.02
STRAIGHTLINE_RATE = 0.02
BURST_SIZE = 25
AGE_SPANS = dict(zip(AGE_GROUPS, [(18, 29), (30, 44), (45, 59), (60, 88)], strict=True))
HOUSEHOLD_RESPONSE_RATE = 0.6
PEER_RATERS = 5  # DOMAIN §9.2 min_raters.member


@dataclass(frozen=True, slots=True)
class WaveSpec:
    suffix: str
    name: str
    starts_on: date
    ends_on: date
    status: WaveStatus


CITIZEN_WAVES = (
    WaveSpec(
        "2025-11", "2025年11月（基线）", date(2025, 11, 1), date(2025, 11, 30), WaveStatus.CLOSED
    ),
    WaveSpec("2026-11", "2026年11月", date(2026, 11, 1), date(2026, 12, 31), WaveStatus.OPEN),
)
ANNUAL_WAVE = WaveSpec("2025", "2025年度", date(2025, 12, 1), date(2025, 12, 31), WaveStatus.CLOSED)


class QuestionnairesBroken(ValueError):
    """The questionnaire files do not pass `flask questionnaires check`."""


def stored_instruments(session: Session, directory: str | None) -> list[QuestionnaireVersion]:
    """The newest stored version of every instrument, storing the files' versions first when
    their exact bytes are not in the database yet (the same content hash rule as
    `flask questionnaires load`)."""
    result = check_paths([directory or DEFAULT_DIR])
    if not result.ok:
        first = (result.unreadable or result.problems)[0]
        raise QuestionnairesBroken(f"questionnaire files do not pass the check: {first}")
    for doc in result.documents:
        definition = result.definitions[doc.file]
        if definition["kind"] != "questionnaire":
            continue
        content_hash = hashlib.sha256(doc.raw).hexdigest()
        stored = session.scalar(
            select(QuestionnaireVersion.id).where(
                QuestionnaireVersion.questionnaire_id == definition["id"],
                QuestionnaireVersion.content_hash == content_hash,
            )
        )
        if stored is None:
            session.add(
                QuestionnaireVersion(
                    questionnaire_id=definition["id"],
                    version=definition["version"],
                    content_hash=content_hash,
                    title=definition["title"],
                    audience=",".join(definition["audience"]),
                    definition=definition,
                )
            )
    session.flush()
    newest: dict[str, QuestionnaireVersion] = {}
    for row in session.scalars(select(QuestionnaireVersion).order_by(QuestionnaireVersion.id)):
        if row.definition.get("kind", "questionnaire") == "questionnaire":
            newest[row.questionnaire_id] = row
    return [newest[k] for k in sorted(newest)]


@dataclass
class WavesWritten:
    waves: int = 0
    responses: int = 0
    instruments: tuple[str, ...] = ()
    unused: tuple[str, ...] = ()  # stored instruments no demo respondents match


def write_waves(
    session: Session, plan: CountyPlan, ids: CountyIds, versions: list[QuestionnaireVersion]
) -> WavesWritten:
    written = WavesWritten()
    used, unused = [], []
    person_effects = rng_for(plan.seed, "person effects").normal(0, 8, ids.persons)
    org_codes = {org_id: code for code, org_id in ids.org.items()}
    for version in versions:
        producer = _producer_for(version.definition)
        if producer is None:
            unused.append(version.questionnaire_id)
            continue
        specs = CITIZEN_WAVES if producer is _citizen_responses else (ANNUAL_WAVE,)
        for index, spec in enumerate(specs):
            wave_id = _write_wave(session, plan, ids, version, spec)
            context = _Context(
                plan,
                ids,
                version,
                AnswerGenerator(version.definition, plan.effects.item_sd),
                spec,
                index,
                wave_id,
                rng_for(plan.seed, f"responses/{version.questionnaire_id}/{index}"),
                person_effects,
                org_codes,
            )
            rows = list(producer(context))
            _insert_all(session, Response, rows)
            _insert_all(session, SampledHousehold, context.sampled)
            _insert_all(session, Participation, context.participation)
            _insert_all(
                session,
                Eligibility,
                [{"wave_id": wave_id, "person_id": person} for person in context.eligible],
            )
            written.waves += 1
            written.responses += len(rows)
        used.append(version.questionnaire_id)
    written.instruments, written.unused = tuple(used), tuple(unused)
    return written


def _insert_all(session: Session, model: type, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(model), rows)


def _write_wave(
    session: Session,
    plan: CountyPlan,
    ids: CountyIds,
    version: QuestionnaireVersion,
    spec: WaveSpec,
) -> int:
    code = f"{version.questionnaire_id}-{spec.suffix}"[:32]
    [wave_id] = bulk_insert(
        session,
        Wave,
        [
            {
                "code": code,
                "name": f"{spec.name}{version.title}",
                "questionnaire_version_id": version.id,
                "starts_on": spec.starts_on,
                "ends_on": spec.ends_on,
                "status": spec.status,
                "target_per_village": TARGET_COMPLETES if _is_citizen(version.definition) else None,
            }
        ],
    )
    session.execute(
        insert(wave_target),
        [{"wave_id": wave_id, "org_id": ids.org[t.code]} for t in plan.townships],
    )
    return wave_id


@dataclass
class _Context:
    plan: CountyPlan
    ids: CountyIds
    version: QuestionnaireVersion
    generator: AnswerGenerator
    spec: WaveSpec
    index: int  # 0 = baseline
    wave_id: int
    rng: np.random.Generator

    def row(
        self,
        org_id: int,
        answers: dict[str, Any],
        *,
        recruitment: Recruitment,
        mode: Mode,
        on: date,
        minutes: float,
        subject_person_id: int | None = None,
        subject_org_id: int | None = None,
        respondent_person_id: int | None = None,
        weight: float | None = None,
        too_fast: bool = False,
        straightline: bool = False,
        burst: bool = False,
    ) -> dict[str, Any]:
        anonymous = bool(self.version.definition.get("anonymous", True))
        return {
            "wave_id": self.wave_id,
            "questionnaire_version_id": self.version.id,
            "org_id": org_id,
            "subject_person_id": subject_person_id,
            "subject_org_id": subject_org_id,
            "is_anonymous": anonymous,
            "respondent_person_id": None if anonymous else respondent_person_id,
            "answers": answers,
            "submitted_on": on,
            "duration_bucket": _bucket(minutes),
            "recruitment": recruitment,
            "mode": mode,
            "weight": weight,
            "flag_too_fast": too_fast,
            "flag_straightline": straightline,
            "flag_burst": burst,
        }

    def day(self) -> date:
        last = min(self.spec.ends_on, self.spec.starts_on + timedelta(days=29))
        return self.spec.starts_on + timedelta(
            days=int(self.rng.integers((last - self.spec.starts_on).days + 1))
        )

    def minutes(self) -> float:
        expected = float(self.version.definition.get("estimated_minutes") or 5)
        return float(self.rng.lognormal(np.log(expected), 0.35))

    person_effects: np.ndarray  # by order of creation, so ids never change the draws
    org_codes: dict[int, str]
    sampled: list[dict[str, Any]] = field(default_factory=list)  # SampledHousehold rows
    participation: list[dict[str, Any]] = field(default_factory=list)
    eligible: dict[int, None] = field(default_factory=dict)  # person ids, in order met

    def subject_key(self, rating: _Rating) -> str:
        """As `Participation.subject_key`: person:<code>, org:<code>, or - for no subject."""
        if rating.subject_person is not None:
            return f"person:{self.ids.person_code[rating.subject_person]}"
        if rating.subject_org is not None:
            return f"org:{self.org_codes[rating.subject_org]}"
        return "-"

    def person_latent(self, person_id: int, village_code: str | None, lift: float) -> float:
        effects = self.plan.effects
        village = effects.village.get(village_code, 0.0) if village_code else 0.0
        own = self.person_effects[self.ids.person_row[person_id]]
        return effects.base + lift + village + own + effects.wave_shift[self.index]


def _bucket(minutes: float) -> DurationBucket:
    for limit, bucket in (
        (1, DurationBucket.UNDER_1M),
        (3, DurationBucket.M1_3),
        (5, DurationBucket.M3_5),
        (10, DurationBucket.M5_10),
    ):
        if minutes < limit:
            return bucket
    return DurationBucket.OVER_10M


def _is_citizen(definition: dict) -> bool:
    return "citizen" in definition["audience"] and not definition.get("subject")


def _producer_for(definition: dict) -> Callable[[_Context], Iterator[dict]] | None:
    audience, subject = set(definition["audience"]), definition.get("subject")
    key = (subject["kind"], subject["role"]) if subject else None
    if _is_citizen(definition):
        return _citizen_responses
    for wanted_audience, wanted_subject, producer in _PRODUCERS:
        if wanted_audience in audience and key == wanted_subject:
            return producer
    return None


def _citizen_responses(ctx: _Context) -> Iterator[dict]:
    effects = ctx.plan.effects
    for township, village in ctx.plan.villages():
        mean = effects.village_mean(township.code, village.code, ctx.index)
        tiny_sample = village.code in effects.tiny_samples
        yield from _interviews(ctx, village, mean, tiny_sample=tiny_sample)
        for _ in range(_poster_count(ctx.rng, village, tiny_sample=tiny_sample)):
            yield _citizen(ctx, village, mean, on=ctx.day(), weight=None)
        if village.code == effects.burst_village and ctx.index == 1:
            yield from _burst(ctx, village, mean)


def _poster_count(rng: np.random.Generator, village: VillagePlan, *, tiny_sample: bool) -> int:
    if tiny_sample:
        return int(rng.integers(0, 3))
    return int(rng.poisson(POSTER_MEAN if village.adults >= 30 else 1))


def _interviews(
    ctx: _Context, village: VillagePlan, mean: float, *, tiny_sample: bool
) -> Iterator[dict]:
    """Draw households from the roster (every one in a hamlet), record each interview's
    outcome, and answer for the completes with weight 1 / inclusion probability, as the
    sampling service does."""
    households = ctx.ids.households[village.code]
    wanted = int(ctx.rng.integers(4, 7)) if tiny_sample else HOUSEHOLDS_DRAWN
    n = len(households) if village.adults < 30 else min(wanted, len(households))
    picked = ctx.rng.choice(len(households), size=n, replace=False)
    probability = n / len(households)
    visited = n if ctx.spec.status is WaveStatus.CLOSED else int(n * VISITED_SO_FAR)
    for order, index in enumerate(picked, start=1):
        outcome, on = Outcome.PENDING, None
        if order <= visited:
            outcome = OUTCOMES[int(ctx.rng.choice(len(OUTCOMES), p=OUTCOME_SHARES))]
            on = ctx.day()
        ctx.sampled.append(
            {
                "wave_id": ctx.wave_id,
                "household_id": households[int(index)],
                "village_id": ctx.ids.org[village.code],
                "inclusion_probability": probability,
                "draw_order": order,
                "outcome": outcome,
                "outcome_on": on,
            }
        )
        if outcome is Outcome.COMPLETE:
            yield _citizen(ctx, village, mean, on=on, weight=1 / probability)


def _citizen(
    ctx: _Context, village: VillagePlan, mean: float, *, on: date, weight: float | None
) -> dict:
    """One citizen's answers: interviewed when it carries a weight, else from a poster."""
    rng = ctx.rng
    poster = weight is None
    age, sex = _draw_adult(rng, village, younger=poster)
    too_fast = rng.random() < TOO_FAST_RATE
    straightline = not too_fast and rng.random() < STRAIGHTLINE_RATE
    who = Respondent(
        float(mean + rng.normal(0, ctx.plan.effects.respondent_sd)),
        age,
        sex,
        careless=too_fast,
        straightline=straightline,
    )
    answers = ctx.generator.answer(rng, who)
    if poster:
        recruitment, mode = Recruitment.POSTER, Mode.SELF
    else:
        recruitment = Recruitment.DRAWN_HOUSEHOLD
        mode = Mode.FACE_TO_FACE if rng.random() < 0.5 else Mode.PHONE
    return ctx.row(
        ctx.ids.org[village.code],
        answers,
        recruitment=recruitment,
        mode=mode,
        on=on,
        minutes=0.5 if too_fast else ctx.minutes(),
        weight=weight,
        too_fast=too_fast,
        straightline=straightline,
    )


def _burst(ctx: _Context, village: VillagePlan, mean: float) -> Iterator[dict]:
    """A same-day run of top-rated poster answers, as when a village coaches residents."""
    day = ctx.day()
    for _ in range(BURST_SIZE):
        age, sex = _draw_adult(ctx.rng, village, younger=True)
        answers = ctx.generator.answer(ctx.rng, Respondent(mean, age, sex, straightline=True))
        yield ctx.row(
            ctx.ids.org[village.code],
            answers,
            recruitment=Recruitment.POSTER,
            mode=Mode.SELF,
            on=day,
            minutes=1.5,
            straightline=True,
            burst=True,
        )


def _draw_adult(
    rng: np.random.Generator, village: VillagePlan, *, younger: bool
) -> tuple[int, str]:
    """An adult of the village, by its population cells; poster respondents skew young."""
    cells = np.asarray(village.cells, dtype=float)
    if younger:
        cells = cells * np.array([[2.0], [1.4], [0.8], [0.4]])
    pick = int(rng.choice(cells.size, p=(cells / cells.sum()).ravel()))
    low, high = AGE_SPANS[AGE_GROUPS[pick // 2]]
    return int(rng.integers(low, high + 1)), SEXES[pick % 2]


@dataclass(frozen=True, slots=True)
class _Rating:
    """One form someone may fill in: where, about whom, and how well they see it."""

    org_id: int
    latent: float
    rater: int | None = None  # a person answering under their account; None for households
    subject_person: int | None = None
    subject_org: int | None = None


def _annual(ctx: _Context, ratings: Iterator[_Rating], recruitment: Recruitment) -> Iterator[dict]:
    """Answers to the forms people may fill in; account holders are eligible whether or not
    they answer, and who answered is recorded apart from what they answered."""
    for rating in ratings:
        if rating.rater is not None:
            ctx.eligible[rating.rater] = None
            if ctx.rng.random() >= TURNOUT:
                continue
            ctx.participation.append(
                {
                    "wave_id": ctx.wave_id,
                    "person_id": rating.rater,
                    "subject_key": ctx.subject_key(rating),
                }
            )
        who = Respondent(clamp(rating.latent + ctx.rng.normal(0, 8), 0, 100))
        yield ctx.row(
            rating.org_id,
            ctx.generator.answer(ctx.rng, who),
            recruitment=recruitment,
            mode=Mode.SELF,
            on=ctx.day(),
            minutes=ctx.minutes(),
            subject_person_id=rating.subject_person,
            subject_org_id=rating.subject_org,
            respondent_person_id=rating.rater,
        )


def _household_ratings(ctx: _Context) -> Iterator[dict]:
    def ratings() -> Iterator[_Rating]:
        for _, village in ctx.plan.villages():
            for household in ctx.ids.households[village.code]:
                member = ctx.ids.household_member.get(household)
                if member is None or ctx.rng.random() >= HOUSEHOLD_RESPONSE_RATE:
                    continue
                yield _Rating(
                    ctx.ids.org[village.code],
                    ctx.person_latent(member, village.code, 6),
                    subject_person=member,
                )

    return _annual(ctx, ratings(), Recruitment.HOUSEHOLD_SLIP)


def _peer_ratings(ctx: _Context) -> Iterator[dict]:
    def ratings() -> Iterator[_Rating]:
        for _, village in ctx.plan.villages():
            members = ctx.ids.members[village.code]
            for member in members:
                others = [m for m in members if m != member]
                raters = ctx.rng.choice(
                    len(others), size=min(PEER_RATERS, len(others)), replace=False
                )
                for rater in raters:
                    yield _Rating(
                        ctx.ids.org[village.code],
                        ctx.person_latent(member, village.code, 2),
                        rater=others[int(rater)],
                        subject_person=member,
                    )

    return _annual(ctx, ratings(), Recruitment.ACCOUNT)


def _village_org_reviews(ctx: _Context) -> Iterator[dict]:
    def ratings() -> Iterator[_Rating]:
        for township, village in ctx.plan.villages():
            mean = ctx.plan.effects.village_mean(township.code, village.code, ctx.index) + 5
            org_id = ctx.ids.org[village.code]
            for member in ctx.ids.members[village.code]:
                yield _Rating(org_id, mean, rater=member, subject_org=org_id)

    return _annual(ctx, ratings(), Recruitment.ACCOUNT)


def _cadre_ballots(ctx: _Context) -> Iterator[dict]:
    def ratings() -> Iterator[_Rating]:
        for township in ctx.plan.townships:
            colleagues = ctx.ids.township_cadres[township.code]
            for cadre in colleagues:
                for voter in colleagues:
                    if voter != cadre:
                        yield _Rating(
                            ctx.ids.org[township.code],
                            ctx.person_latent(cadre, None, 4),
                            rater=voter,
                            subject_person=cadre,
                        )

    return _annual(ctx, ratings(), Recruitment.ACCOUNT)


def _cadre_self_assessments(ctx: _Context) -> Iterator[dict]:
    def ratings() -> Iterator[_Rating]:
        for township in ctx.plan.townships:
            lift = 8 + ctx.plan.effects.township[township.code] / 2
            for cadre in ctx.ids.township_cadres[township.code]:
                yield _Rating(
                    ctx.ids.org[township.code], ctx.person_latent(cadre, None, lift), rater=cadre
                )
            for village in township.villages:
                for cadre in ctx.ids.cadres[village.code]:
                    yield _Rating(
                        ctx.ids.org[village.code],
                        ctx.person_latent(cadre, village.code, lift),
                        rater=cadre,
                    )

    return _annual(ctx, ratings(), Recruitment.ACCOUNT)


def _secretary_reviews_of_township(ctx: _Context) -> Iterator[dict]:
    def ratings() -> Iterator[_Rating]:
        for township in ctx.plan.townships:
            mean = ctx.plan.effects.base + ctx.plan.effects.township[township.code] + 4
            for village in township.villages:
                yield _Rating(
                    ctx.ids.org[village.code],
                    mean,
                    rater=ctx.ids.cadres[village.code][0],
                    subject_org=ctx.ids.org[township.code],
                )

    return _annual(ctx, ratings(), Recruitment.ACCOUNT)


def _secretary_self_checks(ctx: _Context) -> Iterator[dict]:
    def ratings() -> Iterator[_Rating]:
        for township, village in ctx.plan.villages():
            mean = ctx.plan.effects.village_mean(township.code, village.code, ctx.index) + 10
            org_id = ctx.ids.org[village.code]
            yield _Rating(org_id, mean, rater=ctx.ids.cadres[village.code][0], subject_org=org_id)

    return _annual(ctx, ratings(), Recruitment.ACCOUNT)


# (audience, (subject kind, subject role) or None, producer), tried in order.
_PRODUCERS: tuple[tuple[str, tuple[str, str] | None, Callable[[_Context], Iterator[dict]]], ...] = (
    ("household", ("person", "member"), _household_ratings),
    ("member", ("person", "member"), _peer_ratings),
    ("member", ("organisation", "village"), _village_org_reviews),
    ("cadre", ("person", "cadre"), _cadre_ballots),
    ("cadre", None, _cadre_self_assessments),
    ("secretary", ("organisation", "township"), _secretary_reviews_of_township),
    ("secretary", ("organisation", "village"), _secretary_self_checks),
)
