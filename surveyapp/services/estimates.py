"""Published indices for a wave: gather the responses by SQL, hand them to ``scoring``.

The assessors' dashboard and the PDF reports call :func:`compute_indices` and get
``scoring``'s frozen dataclasses back (:class:`scoring.indices.IndicesReport`), or
:func:`index_rows` for one flat dict per unit and index (n, raters, df, CI, grade / 待定 /
样本不足, the 收缩估计（模型估计）, the rank interval). Scope checks stay in
``services/scope.py``: callers filter ``rows`` by org with it.

Which waves: ``wave_code`` names one wave (normally a citizen wave). For every other
instrument the "current" wave is its latest wave starting in the same calendar year or
earlier, and the "previous" wave of each instrument is the one before its current one (for
the 三升两降 changes). Answers are JSON scored by their questionnaire's rules, so a
per-village ``GROUP BY`` cannot score them: one Core query per period streams the few columns
the table needs, and ``scoring.response_table`` scores each instrument's responses at once,
column by column. `bench/indices.py` measures it.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import aliased

from scoring.index_rows import report_rows
from scoring.indices import CENSUS_COLUMN, IndicesReport
from scoring.indices import compute_indices as score_indices
from scoring.response_table import META, score_columns_of
from surveyapp.extensions import db
from surveyapp.models import (
    VILLAGE_KINDS,
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
from surveyapp.services.waves import wave_villages

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
    columns, excluded = _response_columns(current, "current", exclude_flagged)
    if wave.id not in columns["wave_id"]:
        raise EstimatesError(f"调查轮次 {wave_code} 没有任何回答")
    more, _ = _response_columns(previous, "previous", exclude_flagged)
    for name, values in more.items():
        columns[name] += values
    definitions = _definitions(set(columns["version_id"]))
    try:
        table = score_columns_of(definitions, columns)
    except ValueError as error:
        raise EstimatesError(f"回答无法计分：{error}") from None
    table[CENSUS_COLUMN] = _village_census(
        [*current, *previous], columns["wave_id"], columns["township"]
    )
    return GatheredData(
        table,
        spec,
        _population(),
        _counts(),
        {w.questionnaire_version.questionnaire_id: w.code for w in current},
        excluded,
        _records(wave, spec),
    )


def _village_census(
    waves: Sequence[Wave], wave_ids: Sequence[int], townships: Sequence[str]
) -> np.ndarray:
    """1.0 on rows whose wave surveyed every village of the row's township, else 0.0.

    Such a township is a census at stage one, and ``scoring.indices`` takes its villages as
    strata; a township with only some villages in the wave keeps them as sampled clusters.
    """
    census = {w.id: _census_townships(w) for w in waves}
    return np.array(
        [1.0 if t in census[w] else 0.0 for w, t in zip(wave_ids, townships, strict=True)]
    )


def _census_townships(wave: Wave) -> set[str]:
    covered = {village.id for village in wave_villages(wave)}
    township = aliased(Org)
    found = db.session.execute(
        sa.select(township.code, Org.id)
        .join(township, township.id == Org.parent_id)
        .where(Org.kind.in_(VILLAGE_KINDS), Org.retired_at.is_(None))
    )
    villages_of: dict[str, set[int]] = {}
    for code, village_id in found:
        villages_of.setdefault(code, set()).add(village_id)
    return {code for code, ids in villages_of.items() if ids <= covered}


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
    return copy.deepcopy(_checked_spec(_files_stamp(DEFAULT_DIR)))


def _files_stamp(folder: Path) -> tuple:
    return tuple(
        (str(path), path.stat().st_mtime_ns, path.stat().st_size)
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    )


@functools.lru_cache(maxsize=1)
def _checked_spec(stamp: tuple) -> dict:
    """The checked ``indices.yaml``. Checking every shipped file takes about 0.4 s, so the
    result is kept while no file in the folder changes (``stamp``)."""
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


def _response_columns(
    waves: Sequence[Wave], period: str, exclude_flagged: bool
) -> tuple[dict[str, list], dict[str, int]]:
    """The table's ``META`` columns and the answers of the responses to ``waves``, streamed
    from one Core query (no ORM rows); the answers come as JSON text and each batch of
    10,000 is decoded by one ``json.loads``, a third of the time of one call per row."""
    columns: dict[str, list] = {name: [] for name in (*META, "answers", "wave_id", "version_id")}
    if not waves:
        return columns, {}
    subject_person, subject_org = aliased(Person), aliased(Org)
    query = (
        sa.select(
            Response.wave_id,
            Response.questionnaire_version_id,
            sa.cast(Response.answers, sa.Text),
            Response.recruitment,
            Response.respondent_person_id,
            Response.subject_person_id,
            Response.flag_too_fast,
            Response.flag_burst,
            Response.org_id,
            subject_person.code,
            subject_org.code,
        )
        .outerjoin(subject_person, subject_person.id == Response.subject_person_id)
        .outerjoin(subject_org, subject_org.id == Response.subject_org_id)
        .where(Response.wave_id.in_([w.id for w in waves]))
        .order_by(Response.id)
        .execution_options(yield_per=10_000)
    )
    instrument_of = {w.id: w.questionnaire_version.questionnaire_id for w in waves}
    place_of = _org_places()
    excluded = {"too_fast": 0, "burst": 0}
    add = {name: values.append for name, values in columns.items()}
    for batch in db.session.connection().execute(query).partitions():
        texts = []
        for (
            wave_id,
            version_id,
            answers,
            recruitment,
            respondent_id,
            subject_id,
            too_fast,
            burst,
            org_id,
            person_code,
            org_code,
        ) in batch:
            if exclude_flagged and (too_fast or burst):
                excluded["too_fast" if too_fast else "burst"] += 1
                continue
            code, township, adults = place_of[org_id]
            add["wave_id"](wave_id)
            add["version_id"](version_id)
            add["period"](period)
            add["instrument"](instrument_of[wave_id])
            add["org"](code)
            add["township"](township)
            add["subject"](person_code or org_code or "")
            add["self_rating"](int(subject_id is not None and respondent_id == subject_id))
            add["audience"]("member" if recruitment == Recruitment.ACCOUNT else "citizen")
            add["adults"](adults)
            texts.append(answers or "null")
        columns["answers"] += [a or {} for a in json.loads("[" + ",".join(texts) + "]")]
    return columns, excluded


def _org_places() -> dict[int, tuple[str, str, int | None]]:
    """Org id -> (code, code of its township, adults); a township is its own township."""
    parent = aliased(Org)
    found = db.session.execute(
        sa.select(Org.id, Org.code, Org.kind, Org.adults, parent.code).outerjoin(
            parent, parent.id == Org.parent_id
        )
    )
    return {
        org_id: (code, code if kind.level == "township" else (parent_code or ""), adults)
        for org_id, code, kind, adults, parent_code in found
    }


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
