"""Published indices for a wave: gather the responses by SQL, hand them to ``scoring``.

The assessors' dashboard and the PDF reports call :func:`compute_indices` and get
``scoring``'s frozen dataclasses back (:class:`scoring.indices.IndicesReport`), or
:func:`index_rows` for one flat dict per unit and index (n, raters, df, CI, grade / 待定 /
样本不足, the 收缩估计（模型估计）, the rank interval). Scope checks stay in
``services/scope.py``: callers filter ``rows`` by org with it.

Which waves: ``wave_code`` names one wave (normally a citizen wave). For every other
instrument the "current" wave is its latest wave starting in the same calendar year or
earlier, and the "previous" wave of each instrument is the one before its current one (for
the 三升两降 changes). Responses are scored row by row from their own questionnaire
version (answers are JSON; a per-village ``GROUP BY`` cannot score them), so the cost grows
with responses; `bench/indices.py` measures it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from scoring.index_rows import report_rows
from scoring.indices import IndicesReport
from scoring.indices import compute_indices as score_indices
from scoring.response_table import score_rows
from surveyapp.extensions import db
from surveyapp.models import (
    AdminCount,
    Org,
    Person,
    PopulationCell,
    QuestionnaireVersion,
    Recruitment,
    Response,
    Wave,
)
from surveyapp.questionnaire.check import DEFAULT_DIR, check_paths
from surveyapp.services import records

LEVELS = ("village", "township", "county")


class EstimatesError(ValueError):
    """Input the computation cannot use (an unknown wave, a wave with no responses, a spec
    that fails the checker); the message is one Chinese line for the page or the CLI."""


@dataclass(frozen=True, slots=True)
class GatheredData:
    """Everything ``scoring.indices`` takes, as plain data."""

    table: dict[str, Any]
    spec: dict
    population: list[dict]
    counts: list[dict]
    waves: dict[str, str]  # instrument -> current wave code
    excluded: dict[str, int]
    records: dict[str, Any] = field(default_factory=dict)  # points, vetoes, exempt


def compute_indices(
    wave_code: str, level: str, *, exclude_flagged: bool = False, confidence_level: float = 0.95
) -> IndicesReport:
    """Every index at ``level`` for the wave ``wave_code``.

    Raises
    ------
    EstimatesError
        Unknown wave or level, no responses, or a failing indices file.
    """
    if level not in LEVELS:
        raise EstimatesError(f"层级 {level!r} 无效，应为 village、township 或 county")
    data = gather(wave_code, exclude_flagged=exclude_flagged)
    try:
        return score_indices(
            data.table,
            data.spec,
            level=level,
            population=data.population,
            counts=data.counts,
            **data.records,
            confidence_level=confidence_level,
        )
    except ValueError as error:
        raise EstimatesError(f"无法计算指数：{error}") from None


def index_rows(wave_code: str, level: str, **options: Any) -> list[dict]:
    """:func:`compute_indices` flattened: one dict of numbers and strings per unit and index."""
    return report_rows(compute_indices(wave_code, level, **options))


def gather(wave_code: str, *, exclude_flagged: bool = False) -> GatheredData:
    """The response table, spec, population cells and admin counts for ``wave_code``."""
    wave = db.session.scalar(sa.select(Wave).where(Wave.code == wave_code))
    if wave is None:
        raise EstimatesError(f"没有编号为 {wave_code} 的调查轮次")
    spec = indices_spec()
    current, previous = _waves_for(wave)
    rows, excluded = _response_rows(current, "current", exclude_flagged)
    if not any(r["wave_id"] == wave.id for r in rows):
        raise EstimatesError(f"调查轮次 {wave_code} 没有任何回答")
    more, _ = _response_rows(previous, "previous", exclude_flagged)
    rows += more
    definitions = _definitions({r["version_id"] for r in rows})
    try:
        table = score_rows(definitions, rows)
    except ValueError as error:
        raise EstimatesError(f"回答无法计分：{error}") from None
    return GatheredData(
        table,
        spec,
        _population(),
        _counts(),
        {w.questionnaire_version.questionnaire_id: w.code for w in current},
        excluded,
        _records(wave, spec),
    )


def _records(wave: Wave, spec: dict) -> dict[str, Any]:
    """Points, veto events and exemptions for the year the wave starts in (services/records)."""
    return records.scoring_records(wave.starts_on.year, spec)


def indices_spec() -> dict:
    """The newest stored indices definition, else ``questionnaires/indices.yaml`` checked."""
    stored = db.session.scalars(
        sa.select(QuestionnaireVersion.definition).order_by(QuestionnaireVersion.id.desc())
    )
    for definition in stored:
        if definition.get("kind") == "indices":
            return definition
    result = check_paths([DEFAULT_DIR])
    if not result.ok:
        first = (result.unreadable or result.problems)[0]
        raise EstimatesError(f"指数定义未通过检查：{first}")
    for definition in result.definitions.values():
        if definition.get("kind") == "indices":
            return definition
    raise EstimatesError("找不到指数定义文件 indices.yaml")


def _waves_for(anchor: Wave) -> tuple[list[Wave], list[Wave]]:
    waves = db.session.scalars(
        sa.select(Wave).join(Wave.questionnaire_version).order_by(Wave.starts_on, Wave.id)
    ).all()
    by_instrument: dict[str, list[Wave]] = {}
    for w in waves:
        by_instrument.setdefault(w.questionnaire_version.questionnaire_id, []).append(w)
    current, previous = [], []
    for series in by_instrument.values():
        if anchor in series:
            chosen = anchor
        else:
            eligible = [w for w in series if w.starts_on.year <= anchor.starts_on.year]
            if not eligible:
                continue
            chosen = eligible[-1]
        current.append(chosen)
        position = series.index(chosen)
        if position > 0:
            previous.append(series[position - 1])
    return current, previous


def _response_rows(
    waves: Sequence[Wave], period: str, exclude_flagged: bool
) -> tuple[list[dict], dict[str, int]]:
    if not waves:
        return [], {}
    org, parent = aliased(Org), aliased(Org)
    subject_person, subject_org = aliased(Person), aliased(Org)
    query = (
        sa.select(
            Response.wave_id,
            Response.questionnaire_version_id,
            Response.answers,
            Response.recruitment,
            Response.respondent_person_id,
            Response.subject_person_id,
            Response.flag_too_fast,
            Response.flag_burst,
            org.code,
            org.kind,
            org.adults,
            parent.code,
            subject_person.code,
            subject_org.code,
        )
        .join(org, org.id == Response.org_id)
        .outerjoin(parent, parent.id == org.parent_id)
        .outerjoin(subject_person, subject_person.id == Response.subject_person_id)
        .outerjoin(subject_org, subject_org.id == Response.subject_org_id)
        .where(Response.wave_id.in_([w.id for w in waves]))
        .order_by(Response.id)
    )
    instrument_of = {w.id: w.questionnaire_version.questionnaire_id for w in waves}
    rows, excluded = [], {"too_fast": 0, "burst": 0}
    for r in db.session.execute(query):
        if exclude_flagged and (r.flag_too_fast or r.flag_burst):
            excluded["too_fast" if r.flag_too_fast else "burst"] += 1
            continue
        is_township = r[9].level == "township"
        rows.append(
            {
                "wave_id": r.wave_id,
                "version_id": r.questionnaire_version_id,
                "period": period,
                "instrument": instrument_of[r.wave_id],
                "org": r[8],
                "township": r[8] if is_township else (r[11] or ""),
                "subject": r[12] or r[13] or "",
                "self_rating": int(
                    r.subject_person_id is not None
                    and r.respondent_person_id == r.subject_person_id
                ),
                "audience": "member" if r.recruitment == Recruitment.ACCOUNT else "citizen",
                "adults": r[10],
                "answers": r.answers,
            }
        )
    return rows, excluded


def _definitions(version_ids: set[int]) -> dict[str, dict]:
    """Definitions keyed by instrument id. Rows of one instrument answered one version per
    wave; when versions differ, the newest definition scores them all (item ids are stable)."""
    found = db.session.execute(
        sa.select(QuestionnaireVersion.questionnaire_id, QuestionnaireVersion.definition)
        .where(QuestionnaireVersion.id.in_(version_ids))
        .order_by(QuestionnaireVersion.id)
    )
    return {instrument: definition for instrument, definition in found}


def _population() -> list[dict]:
    found = db.session.execute(
        sa.select(
            Org.code, PopulationCell.age_group, PopulationCell.sex, PopulationCell.adults
        ).join(PopulationCell.org)
    )
    return [{"org": c, "age_group": a, "sex": s, "adults": n} for c, a, s, n in found]


def _counts() -> list[dict]:
    parent = aliased(Org)
    found = db.session.execute(
        sa.select(
            Org.code,
            parent.code,
            Org.kind,
            Org.adults,
            AdminCount.period,
            AdminCount.kind,
            AdminCount.count,
            AdminCount.exposure,
        )
        .join(AdminCount.org)
        .outerjoin(parent, parent.id == Org.parent_id)
    )
    rows = []
    for code, parent_code, kind, adults, period, count_kind, count, exposure in found:
        exposure = exposure or adults
        if not exposure:
            continue
        rows.append(
            {
                "org": code,
                "township": code if kind.level == "township" else parent_code,
                "period": period,
                "kind": str(count_kind),
                "count": count,
                "exposure": exposure,
            }
        )
    return rows
