"""An :class:`~scoring.indices.IndicesReport` as flat rows (CSV) or nested plain data (JSON).

One row per unit and index, then one per component, then the county's or townships' extra
tables (三不腐 balance, quiz, 三升两降 changes, count rates, reliability, ballots), all with
the same columns so a spreadsheet can filter them. Numbers that do not exist are empty
(None), never NaN.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from scoring.indices import IndexResult, IndicesReport
from scoring.results import Estimate

FIELDS = (
    "table",
    "index",
    "title",
    "level",
    "unit",
    "parent",
    "component",
    "status",
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "df",
    "n",
    "raters",
    "weight",
    "grades",
    "shrinkage_label",
    "shrinkage",
    "shrinkage_ci_low",
    "shrinkage_ci_high",
    "rank",
    "rank_low",
    "rank_high",
    "rank_of",
    "score_before_veto",
    "vetoed_by",
    "verdict",
    "design",
    "notes",
)


def _num(x: float | None) -> float | None:
    if x is None:
        return None
    return float(x) if math.isfinite(x) else None


def _est(e: Estimate | None) -> dict[str, Any]:
    if e is None:
        return {}
    return {
        "estimate": _num(e.estimate),
        "se": _num(e.se),
        "ci_low": _num(e.ci.low),
        "ci_high": _num(e.ci.high),
        "df": e.df,
        "n": e.n,
    }


def _grades(r: IndexResult) -> str:
    parts = []
    for g in r.grades:
        text = g.label if not g.straddles else f"{g.label}（{'/'.join(g.straddles)}）"
        parts.append(f"{g.band_set}:{text}")
    return "; ".join(parts)


def _row(**values: Any) -> dict[str, Any]:
    return {name: values.get(name) for name in FIELDS}


def report_rows(report: IndicesReport) -> list[dict[str, Any]]:
    """Flat rows with the columns ``FIELDS``.

    Examples
    --------
    >>> report_rows(IndicesReport("county", ()))
    []
    """
    rows = []
    for r in report.results:
        shrink = r.shrinkage
        rows.append(
            _row(
                table="index",
                index=r.index,
                title=r.title,
                level=r.level,
                unit=r.unit,
                parent=r.parent,
                status=r.status,
                raters=r.raters,
                grades=_grades(r),
                **_est(r.estimate),
                shrinkage_label=shrink.label if shrink else None,
                shrinkage=_num(shrink.estimate) if shrink else None,
                shrinkage_ci_low=_num(shrink.ci.low) if shrink else None,
                shrinkage_ci_high=_num(shrink.ci.high) if shrink else None,
                rank=r.rank.rank if r.rank else None,
                rank_low=r.rank.low if r.rank else None,
                rank_high=r.rank.high if r.rank else None,
                rank_of=r.rank.of if r.rank else None,
                score_before_veto=r.score_before_veto,
                vetoed_by="、".join(r.vetoed_by) or None,
                design=r.design or None,
                notes="；".join(r.notes) or None,
            )
        )
        for c in r.components:
            rows.append(
                _row(
                    table="component",
                    index=r.index,
                    title=c.title,
                    level=r.level,
                    unit=r.unit,
                    parent=r.parent,
                    component=c.id,
                    status=c.status,
                    raters=c.raters,
                    weight=c.weight,
                    notes=c.note or None,
                    **_est(c.estimate),
                )
            )
    for b in report.balance:
        rows.append(
            _row(
                table="balance",
                index="integrity",
                title=f"{b.first}−{b.second}",
                level=report.level,
                unit=b.unit,
                verdict=b.verdict,
                **_est(b.estimate),
            )
        )
    for q in report.quiz:
        rows.append(
            _row(
                table="quiz",
                index=q.name,
                title="十条军规得分",
                level=report.level,
                unit=q.unit,
                **_est(q.score),
            )
        )
        rows.append(
            _row(
                table="quiz",
                index=q.name,
                title=f"及格率（≥{q.pass_mark:g}）",
                level=report.level,
                unit=q.unit,
                **_est(q.passed_share),
            )
        )
    for c in report.changes:
        rows.append(
            _row(
                table="change",
                index=c.index,
                title=c.title,
                level=report.level,
                unit=c.unit,
                verdict=c.verdict,
                **_est(c.change),
            )
        )
    for c in report.counts:
        rows.append(
            _row(
                table="rate",
                index=c.kind,
                title=f"{c.current_period} 每千人",
                level=report.level,
                unit=c.unit,
                estimate=c.current.rate,
                ci_low=c.current.ci.low,
                ci_high=_num(c.current.ci.high),
                n=c.current.count,
            )
        )
        if c.ratio is not None:
            rows.append(
                _row(
                    table="rate_ratio",
                    index=c.kind,
                    title=f"{c.current_period} / {c.previous_period}",
                    level=report.level,
                    unit=c.unit,
                    estimate=_num(c.ratio.ratio),
                    ci_low=_num(c.ratio.ci.low),
                    ci_high=_num(c.ratio.ci.high),
                    verdict=c.ratio.verdict,
                )
            )
    for x in report.reliability:
        rows.append(
            _row(
                table="reliability",
                index=x.instrument,
                title=x.dimension,
                level=report.level,
                unit="county",
                estimate=_num(x.alpha),
                ci_low=_num(x.alpha_ci.low),
                ci_high=_num(x.alpha_ci.high),
                n=x.n,
                verdict="α < 0.7" if x.flagged else "",
                notes=None if x.omega is None else f"ω = {x.omega:.3f}",
            )
        )
    for t in report.ballots:
        for g in t.grades:
            rows.append(
                _row(
                    table="ballot",
                    index="cadre_review",
                    title=g.grade,
                    level=report.level,
                    unit=t.subject,
                    estimate=_num(g.share),
                    n=g.count,
                    raters=t.valid,
                    ci_low=g.ci.low if g.ci else None,
                    ci_high=g.ci.high if g.ci else None,
                    verdict="、".join(t.flags) or None,
                    notes=t.note,
                )
            )
    return rows


def report_data(report: IndicesReport) -> dict[str, Any]:
    """The whole report as nested plain data (dataclasses to dicts, NaN and inf to None)."""
    return _clean(dataclasses.asdict(report))


def _clean(value: Any) -> Any:
    if isinstance(value, float):
        return _num(value)
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value
