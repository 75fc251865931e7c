"""Report data: the indices of a wave for one organisation, as the plain data that
``scoring.reports`` renders and the dashboard shows (same numbers, same rounding).

The indices come from :func:`surveyapp.services.estimates.compute_indices`, once per wave and
level: a closed wave's results are kept for the life of the process, an open wave's until a
response arrives. Scope is the caller's: pass ``visible`` (from ``services/scope.py``) and
every row of another organisation is left out, in the charts as in the tables.

A batch of reports (the build command, a township's ZIP) runs inside :func:`one_build`, so
the lookups every report shares (names, each level's rows, subtrees, the previous wave) are
made once per batch rather than once per report: without it the village reports of a
222-village county spent 1.4 s each re-reading the same rows.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app

from scoring.estimators import difference
from scoring.indices import ALPHA_FLOOR, SCALE, IndexResult, IndicesReport
from scoring.ranks import DRAWS
from scoring.reports import KINDS, input_hash, render_pdf
from scoring.results import Estimate
from scoring.small_area import LABEL as SHRINKAGE_LABEL
from surveyapp.extensions import db
from surveyapp.labels import KIND_LABELS, STATUS_LABELS
from surveyapp.models import Org, Person, Response, Wave, WaveStatus
from surveyapp.services import waves as wave_service
from surveyapp.services.estimates import EstimatesError, compute_indices, indices_spec
from surveyapp.services.scope import ancestors, subtree_ids

PUBLISHED = "已发布"
LEVEL_NAMES = {"township": "乡镇（街道）", "village": "村（社区）"}
# Which level's results each report kind reads, and which org levels it is made for.
KIND_LEVEL = {
    "county": "county",
    "township": "township",
    "village": "village",
    "member": "village",
    "integrity": "township",
    "ballot": "township",
}
KIND_ORGS = {
    "county": ("county",),
    "township": ("township",),
    "village": ("village",),
    "member": ("village",),
    "integrity": ("county", "township"),
    "ballot": ("township",),
}


class ReportNotFound(LookupError):
    """Unknown wave, organisation or member, or a kind not made for this organisation."""


class ReportUnavailable(ValueError):
    """The wave has no results to report (no responses, a failing indices file)."""


_cache: dict[tuple, IndicesReport] = {}
_lock = threading.Lock()
_build: ContextVar[dict[Hashable, Any] | None] = ContextVar("report_build", default=None)


@contextmanager
def one_build() -> Iterator[None]:
    """Share lookups between the reports whose data is gathered inside (see the module
    docstring). The data underneath is taken to stay as it was when first read."""
    token = _build.set({})
    try:
        yield
    finally:
        _build.reset(token)


def _once_per_build(key: Hashable, compute: Callable[[], Any]) -> Any:
    memo = _build.get()
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def results(wave: Wave, level: str) -> IndicesReport:
    """``compute_indices`` for the wave at ``level``, cached per wave (see module docstring)."""
    stamp = (
        "closed"
        if wave.status is WaveStatus.CLOSED
        else _once_per_build(("stamp", wave.id), lambda: _responses_stamp(wave))
    )
    key = (str(db.engine.url), wave.code, level, stamp)
    with _lock:
        if key in _cache:
            return _cache[key]
    try:
        report = compute_indices(wave.code, level)
    except EstimatesError as error:
        raise ReportUnavailable(str(error)) from None
    with _lock:
        _cache[key] = report
    return report


def _responses_stamp(wave: Wave) -> tuple:
    return tuple(
        db.session.execute(
            sa.select(sa.func.count(), sa.func.max(Response.id)).where(Response.wave_id == wave.id)
        ).one()
    )


def find_wave(code: str) -> Wave:
    try:
        return wave_service.get_wave(code)
    except wave_service.WaveNotFound:
        raise ReportNotFound(f"没有编号为 {code} 的调查轮次") from None


def find_org(code: str) -> Org:
    org = db.session.scalar(sa.select(Org).where(Org.code == code))
    if org is None:
        raise ReportNotFound(f"没有编号为 {code} 的单位")
    return org


def previous_wave(wave: Wave) -> Wave | None:
    """The wave before this one of the same questionnaire, by start date."""
    return _once_per_build(("previous", wave.id), lambda: _previous_wave(wave))


def _previous_wave(wave: Wave) -> Wave | None:
    qid = wave.questionnaire_version.questionnaire_id
    earlier = [
        w
        for w in db.session.scalars(sa.select(Wave).order_by(Wave.starts_on, Wave.id))
        if w.questionnaire_version.questionnaire_id == qid and w.starts_on < wave.starts_on
    ]
    return earlier[-1] if earlier else None


# ----------------------------------------------------------------------------- rows


def estimate_values(e: Estimate | None) -> dict[str, Any]:
    if e is None:
        return {
            "estimate": None,
            "se": None,
            "ci_low": None,
            "ci_high": None,
            "df": None,
            "n": None,
        }
    return {
        "estimate": _finite(e.estimate),
        "se": _finite(e.se),
        "ci_low": _finite(e.ci.low),
        "ci_high": _finite(e.ci.high),
        "df": e.df,
        "n": e.n,
    }


def _finite(x: float | None) -> float | None:
    return None if x is None or x != x or x in (float("inf"), float("-inf")) else float(x)


def _grades(r: IndexResult, band_titles: dict[str, str]) -> str:
    parts = []
    for g in r.grades:
        text = f"{g.label}（{'/'.join(g.straddles)}）" if g.straddles else g.label
        parts.append(f"{band_titles.get(g.band_set, g.band_set)}：{text}")
    return "；".join(parts)


def index_row(r: IndexResult, names: dict[str, str], band_titles: dict[str, str]) -> dict:
    """One index of one unit as plain data (the report's and the dashboard's row)."""
    shrink = r.shrinkage
    return {
        "index": r.index,
        "title": r.title,
        "level": r.level,
        "unit": r.unit,
        "parent": r.parent,
        "unit_name": names.get(r.unit, r.unit),
        "status": r.status,
        **estimate_values(r.estimate),
        "raters": r.raters,
        "grades": _grades(r, band_titles),
        "rank": f"{r.rank.rank}（{r.rank.low}–{r.rank.high}）/ {r.rank.of}" if r.rank else None,
        "rank_low": r.rank.low if r.rank else None,
        "rank_high": r.rank.high if r.rank else None,
        "shrinkage": {
            "label": shrink.label,
            "estimate": _finite(shrink.estimate),
            "ci_low": _finite(shrink.ci.low),
            "ci_high": _finite(shrink.ci.high),
        }
        if shrink
        else None,
        "notes": list(r.notes),
        "components": [
            {
                "id": c.id,
                "title": c.title,
                "status": c.status,
                "weight": c.weight,
                **estimate_values(c.estimate),
                "raters": c.raters,
                "note": c.note,
            }
            for c in r.components
        ],
    }


def unit_names() -> dict[str, str]:
    return _once_per_build("names", _unit_names)


def _unit_names() -> dict[str, str]:
    names = dict(db.session.execute(sa.select(Org.code, Org.name)).all())
    names.update(db.session.execute(sa.select(Person.code, Person.name)).all())
    county = db.session.scalar(sa.select(Org.name).where(Org.parent_id.is_(None)))
    names["county"] = county or "全县"
    return names


def _band_titles() -> dict[str, str]:
    return {k: v.get("title", k) for k, v in indices_spec().get("bands", {}).items()}


def _subtree(org_id: int) -> set[int]:
    return set(_once_per_build(("subtree", org_id), lambda: subtree_ids(org_id)))


def _org_codes() -> dict[int, tuple[str, bool]]:
    """Every org's code, and whether it is a root (has no parent), by id."""
    return _once_per_build(
        "org codes",
        lambda: {
            id_: (code, parent is None)
            for id_, code, parent in db.session.execute(sa.select(Org.id, Org.code, Org.parent_id))
        },
    )


def _visible_codes(visible: set[int] | None) -> set[str] | None:
    """The codes of the visible orgs, with "county" when a root is among them."""
    if visible is None:
        return None
    orgs = _org_codes()
    found = [orgs[i] for i in visible if i in orgs]
    codes = {code for code, _ in found}
    return codes | {"county"} if any(root for _, root in found) else codes


def _scope_keys(row: dict) -> tuple[str, ...]:
    """The org codes any one of which puts the row in a reader's scope: a member's row is
    seen from the member's village too."""
    if row["unit"] == "county":
        return ("county",)
    if row["level"] == "member":
        return (row["unit"], row["parent"])
    return (row["unit"],)


def unit_code(org: Org) -> str:
    return "county" if org.kind.level == "county" else org.code


def level_rows(wave: Wave, level: str, visible: set[int] | None = None) -> list[dict]:
    """Every index row at ``level`` that the caller may see."""
    codes = _visible_codes(visible)
    rows = _level_rows(wave, level)
    if codes is None:
        return list(rows)
    where = _once_per_build(("scope keys", wave.id, level), lambda: _positions_by_key(rows))
    return [rows[i] for i in sorted({i for code in codes for i in where.get(code, ())})]


def _positions_by_key(rows: list[dict]) -> dict[str, list[int]]:
    where: dict[str, list[int]] = {}
    for i, row in enumerate(rows):
        for key in _scope_keys(row):
            where.setdefault(key, []).append(i)
    return where


def _level_rows(wave: Wave, level: str) -> list[dict]:
    def compute() -> list[dict]:
        names, bands = unit_names(), _band_titles()
        return [index_row(r, names, bands) for r in results(wave, level).results]

    return _once_per_build(("rows", wave.id, level), compute)


# ----------------------------------------------------------------------------- report data


@dataclass(frozen=True, slots=True)
class ReportRequest:
    kind: str
    wave: Wave
    org: Org
    member: str | None = None  # a person code, for the member slip


def check_request(kind: str, wave: Wave, org: Org, member: str | None = None) -> ReportRequest:
    if kind not in KINDS:
        raise ReportNotFound(f"没有 {kind} 这种报告")
    if org.kind.level not in KIND_ORGS[kind]:
        raise ReportNotFound(f"{KINDS[kind]}不适用于{org.name}")
    if kind == "member":
        person = db.session.scalar(sa.select(Person).where(Person.code == (member or "")))
        if person is None or person.org_id != org.id:
            raise ReportNotFound(f"{org.name}没有编号为 {member} 的党员")
    return ReportRequest(kind, wave, org, member)


def report_data(request: ReportRequest, *, visible: set[int] | None = None) -> dict[str, Any]:
    """The plain data of one report (see :mod:`scoring.reports.render` for the keys)."""
    kind, wave, org = request.kind, request.wave, request.org
    level = KIND_LEVEL[kind]
    subtree = _subtree(org.id) if visible is None else _subtree(org.id) & visible
    rows = level_rows(wave, level, subtree)
    previous = previous_wave(wave)
    data: dict[str, Any] = {
        "kind": kind,
        "title": _title(request),
        "org": {
            "code": org.code,
            "name": org.name,
            "kind": str(KIND_LABELS.get(org.kind, org.kind)),
            "path": " · ".join(a.name for a in ancestors(org)),
        },
        "wave": _wave_info(wave),
        "previous_wave": _wave_info(previous) if previous else None,
        "date": (wave.ends_on if wave.status is WaveStatus.CLOSED else date.today()).isoformat(),
        "confidence_level": 0.95,
        "method": method_text(),
    }
    own_rows = _own_rows(request, rows)
    data["indices"] = own_rows
    data["profiles"] = profiles(own_rows)
    data["comparison"] = _comparison(request, previous, own_rows)
    if kind in ("county", "township", "village"):
        data["forests"] = _forests(wave, org, subtree, kind, visible)
        data["quality"] = quality(wave, subtree)
        data["breakdowns"] = [age_breakdown(wave, subtree)]
    if kind in ("county", "township", "integrity"):
        data["changes"] = changes(wave, org)
    if kind == "integrity":
        data["profiles"] += balance_profiles(wave, org)
    if kind in ("ballot", "township"):
        data["ballots"] = ballots(wave, org)
    if kind in ("county", "township"):
        data["reliability"] = reliability(wave)
    return data


def _title(request: ReportRequest) -> str:
    if request.kind == "member":
        name = db.session.scalar(sa.select(Person.name).where(Person.code == request.member))
        return f"{name} 党员先锋指数反馈单"
    return f"{request.org.name}{KINDS[request.kind]}"


def _wave_info(wave: Wave) -> dict[str, str]:
    return {
        "code": wave.code,
        "name": wave.name,
        "starts_on": wave.starts_on.isoformat(),
        "ends_on": wave.ends_on.isoformat(),
        "status": str(STATUS_LABELS.get(wave.status, wave.status)),
    }


def _own_rows(request: ReportRequest, rows: list[dict]) -> list[dict]:
    unit = unit_code(request.org)
    if request.kind == "member":
        return [r for r in rows if r["level"] == "member" and r["unit"] == request.member]
    if request.kind == "integrity":
        return [r for r in rows if r["index"] == "integrity"]
    if request.kind == "ballot":
        return []
    return [r for r in rows if r["unit"] == unit and r["level"] != "member"]


def profiles(rows: list[dict]) -> list[dict]:
    profiles = []
    for r in rows:
        parts = [c for c in r["components"] if c["estimate"] is not None]
        if len(parts) > 1:
            profiles.append(
                {
                    "title": f"{r['title']} · {r['unit_name']}：各维度",
                    "xlabel": "得分（0–100）",
                    "rows": [{"label": c["title"], **_interval(c)} for c in parts],
                }
            )
    return profiles


def _interval(row: dict) -> dict:
    return {k: row[k] for k in ("estimate", "ci_low", "ci_high")}


def _forests(
    wave: Wave, org: Org, subtree: set[int], kind: str, visible: set[int] | None
) -> list[dict]:
    spec = indices_spec()
    forests = []
    levels = {"county": ("township", "village"), "township": ("village",), "village": ("village",)}[
        kind
    ]
    # A village is drawn among its township's villages, as far as the reader may see them.
    scope = subtree
    if kind == "village" and org.parent_id is not None:
        scope = _subtree(org.parent_id) & (
            visible if visible is not None else _subtree(org.parent_id)
        )
    for level in levels:
        for index in ("approval", "fortress"):
            rows = [
                r
                for r in level_rows(wave, level, scope)
                if r["index"] == index and r["level"] == level
            ]
            if not rows or all(r["estimate"] is None for r in rows):
                continue
            bands = spec["indices"][index].get("bands", [])
            cuts = (
                sorted({g["min"] for g in spec["bands"][bands[0]]["grades"] if g["min"] > 0})
                if bands
                else []
            )
            forests.append(
                {
                    "title": f"{rows[0]['title']}：各{LEVEL_NAMES[level]}",
                    "xlabel": f"{rows[0]['title']}（0–100）",
                    "thresholds": cuts,
                    "rows": [
                        {"label": r["unit_name"], "status": r["status"], **_interval(r)}
                        for r in rows
                    ],
                }
            )
    return forests


def _comparison(request: ReportRequest, previous: Wave | None, rows: list[dict]) -> list[dict]:
    if previous is None or not rows:
        return []
    try:
        prior = _results_by_unit(previous, KIND_LEVEL[request.kind])
    except ReportUnavailable:
        return []
    current = _results_by_unit(request.wave, KIND_LEVEL[request.kind])
    out = []
    for row in rows:
        key = (row["index"], row["unit"])
        a, b = current.get(key), prior.get(key)
        if a is None or b is None or a.estimate is None or b.estimate is None:
            continue
        change = difference(a.estimate, b.estimate)
        values = estimate_values(change)
        verdict = (
            "升"
            if values["ci_low"] is not None and values["ci_low"] > 0
            else "降"
            if values["ci_high"] is not None and values["ci_high"] < 0
            else "持平"
        )
        out.append(
            {
                "title": f"{row['title']} · {row['unit_name']}",
                "previous": estimate_values(b.estimate),
                "current": estimate_values(a.estimate),
                "change": values,
                "verdict": verdict,
            }
        )
    return out


def _results_by_unit(wave: Wave, level: str) -> dict[tuple[str, str], IndexResult]:
    return _once_per_build(
        ("by unit", wave.id, level),
        lambda: {(r.index, r.unit): r for r in results(wave, level).results},
    )


def changes(wave: Wave, org: Org) -> list[dict]:
    """The 三升两降 rows for the org: the 三升 index changes (county-wide; computed for the
    county only) and the 两降 rate ratios of the org's unit."""
    level = "county" if org.kind.level == "county" else "township"
    report = results(wave, level)
    unit = unit_code(org)
    rows = []
    for c in report.changes:
        if c.unit != unit:
            continue
        e = estimate_values(c.change)
        rows.append(
            {
                "title": c.title,
                "target": "升",
                "previous": c.previous.estimate if c.previous else None,
                "current": c.current.estimate if c.current else None,
                "measure": "变化（分）",
                **_interval(e),
                "verdict": c.verdict,
            }
        )
    labels = {"violations": "违纪违法案件", "petitions": "信访件数"}
    for c in report.counts:
        if c.unit != unit:
            continue
        rows.append(
            {
                "title": labels.get(c.kind, c.kind),
                "target": "降",
                "previous": None,
                "current": _finite(c.current.rate),
                "measure": f"每千人发生率比（{c.current_period} / {c.previous_period}）"
                if c.ratio
                else "每千人发生率",
                "estimate": _finite(c.ratio.ratio) if c.ratio else _finite(c.current.rate),
                "ci_low": _finite(c.ratio.ci.low if c.ratio else c.current.ci.low),
                "ci_high": _finite(c.ratio.ci.high if c.ratio else c.current.ci.high),
                "verdict": c.ratio.verdict if c.ratio else "无上期数据",
            }
        )
    return rows


def balance_profiles(wave: Wave, org: Org) -> list[dict]:
    level = "county" if org.kind.level == "county" else "township"
    unit = unit_code(org)
    rows = [
        {"label": f"{b.first}−{b.second}（{b.verdict}）", **_interval(estimate_values(b.estimate))}
        for b in results(wave, level).balance
        if b.unit == unit
    ]
    return [{"title": "三不腐均衡：成对差", "xlabel": "差值（分）", "rows": rows}] if rows else []


def ballots(wave: Wave, org: Org) -> list[dict]:
    """The 民主测评 tallies of the people (and organisations) in the org's subtree. A tally is
    matched by the subject's code, never by name: namesakes in another township stay out."""
    subtree = _subtree(org.id)
    people = db.session.scalars(sa.select(Person.code).where(Person.org_id.in_(subtree)))
    orgs = db.session.scalars(sa.select(Org.code).where(Org.id.in_(subtree)))
    codes = set(people) | set(orgs)
    names = unit_names()
    return [
        {
            "subject": names.get(t.subject, t.subject),
            "code": t.subject,
            "valid": t.valid,
            "rows": [
                {"grade": g.grade, "count": g.count, "share": _finite(g.share)} for g in t.grades
            ],
            "flags": "、".join(t.flags),
            "note": t.note,
        }
        for t in results(wave, "township").ballots
        if t.subject in codes
    ]


def reliability(wave: Wave) -> list[dict]:
    return [
        {
            "instrument": x.instrument,
            "dimension": x.dimension,
            "alpha": _finite(x.alpha),
            "ci_low": _finite(x.alpha_ci.low),
            "ci_high": _finite(x.alpha_ci.high),
            "omega": _finite(x.omega),
            "n": x.n,
            "flagged": x.flagged,
        }
        for x in results(wave, "county").reliability
    ]


def quality(wave: Wave, subtree: set[int]) -> dict:
    # Every village's progress is read once per build and each report takes its own.
    everywhere = _once_per_build(("progress", wave.id), lambda: wave_service.progress(wave))
    orgs = _org_codes()
    codes = {orgs[i][0] for i in subtree if i in orgs}
    rows = [r for r in everywhere if r.code in codes]
    total = sum(r.responses for r in rows)
    flagged = sum(r.flagged for r in rows)
    return {
        "rows": [
            {"name": r.name, "responses": r.responses, "target": r.target, "flagged": r.flagged}
            for r in rows
        ],
        "notes": [
            f"合计答卷 {total} 份，其中被标记（答题过快、集中提交、直线作答）{flagged} 份；"
            "标记答卷计入估计，剔除后的结果可用 flask indices compute --exclude-flagged 复算。"
        ],
    }


def age_breakdown(wave: Wave, subtree: set[int]) -> dict:
    answers = db.session.scalars(
        sa.select(Response.answers).where(Response.wave_id == wave.id, Response.org_id.in_(subtree))
    )
    counts = Counter(str(a.get("age_group") or "未回答") for a in answers)
    total = sum(counts.values())
    return {
        "title": "受访者年龄构成",
        "rows": [{"group": g, "n": n, "share": n / total} for g, n in sorted(counts.items())],
    }


def method_text() -> dict[str, Any]:
    spec = indices_spec()
    return {
        "design": "群众认可度：每个村（社区）为一层，从户籍和常住人口名册抽户、每户一名成年人，"
        "村内按有限总体校正。本轮调查覆盖一个乡镇的全部村（社区）时，第一阶段是普查，"
        "村间差异不是抽样误差：村为层而非抽样单元，乡镇估计的方差为各村方差之和"
        "（R survey 包 svydesign(ids=~1, strata=~village, fpc=~adults, weights=~w)，村内校准）；"
        "只抽取乡镇部分村时，以村为初级抽样单元（PSU）、乡镇为层"
        "（svydesign(ids=~village, strata=~township, weights=~w) 的一阶段近似）。"
        "全县按各乡镇所用的设计分层合并。每个结果注明所用设计。"
        "其他问卷由指定评价人评价，属反馈而非抽样估计。",
        "weights": "村成年人数 / 村受访人数；缺少成年人口数的村按等权、不作有限总体校正。",
        "raking": "有分性别、年龄段的成年人口数时，在每个村内把权重迭代比例校准（raking）到"
        "该村的性别、年龄段人数；人口分组缺失、与答卷口径不一致或有空格的村不校准（结果中注明），"
        "未回答性别或年龄者保留基础权重。村为层时校准计入方差（R 的 rake()）；以村为抽样单元时"
        "把校准后的权重当作普通权重（保留村间差异，方差略偏保守）。",
        "ci": "置信区间为 t 区间：估计值 ± t(df) × 标准误；0–100 分的指数、维度和评价均值的区间"
        f"截在 [{SCALE[0]:g},{SCALE[1]:g}] 内（真值不会超出，截去后覆盖率不变，结果中注明）。"
        "比例（如测验通过率）同样用 t 区间并"
        "截在 [0,1] 内，全部通过或全部未通过（标准误为 0）时改用 Clopper–Pearson 精确区间。"
        "发生率用 Garwood 精确泊松区间，两期之比用条件二项精确区间。排名区间为 90% 区间："
        f"按各单位估计值及其标准误的正态分布模拟 {DRAWS} 次（固定种子），取各单位名次的中间 90%；"
        f"只对已发布的单位排名。{SHRINKAGE_LABEL}为村级 Fay–Herriot 经验贝叶斯估计"
        "（REML；村的抽样方差取全县合并的村内方差除以受访人数、"
        "并作有限总体校正），其区间为估计值 ± z × √MSE "
        "的模型区间，仅供参考，不用于评级。",
        "df": "以村为抽样单元时，全县：设计自由度 = PSU（村）数 − 层（乡镇）数（R 的 degf()），"
        "乡镇：所辖有样本的村数 − 1；村为层时：受访人数 − 村数；"
        "只有一个村的乡镇沿用该村的估计；村内：受访人数 − 1；评价人评价的成分："
        "评价人数 − 1；独立成分加权合成用 Welch–Satterthwaite 自由度。",
        "small_cells": f"任何分组少于 {min_cell_size()} 人时不显示其数字；若一组中只有一个分组"
        "因此不显示，次小的分组也一并不显示，以免用合计反推。",
        "reliability": "各维度 Cronbach α（含 Feldt 区间）与 McDonald ω（三题及以上的维度，只报"
        f"点估计）；α 低于 {ALPHA_FLOOR} 的维度予以标注。",
        "indices": [
            {
                "title": i["title"],
                "components": [
                    {
                        "title": c["title"],
                        "weight": c["weight"],
                        "source": c.get("instrument")
                        or (f"下级指数 {c['index']}" if "index" in c else "组织评定"),
                    }
                    for c in i["components"]
                ],
            }
            for i in spec["indices"].values()
        ],
    }


# ----------------------------------------------------------------------------- PDFs


def min_cell_size() -> int:
    return int(current_app.config.get("MIN_CELL_SIZE", 5))


def report_pdf(data: dict[str, Any], *, cache_dir: Path | None = None) -> tuple[bytes, str]:
    """The PDF and its input hash. A closed wave's reports are cached by that hash."""
    min_cell = min_cell_size()
    digest = input_hash({**data, "min_cell": min_cell})
    closed = data["wave"]["status"] == str(STATUS_LABELS.get(WaveStatus.CLOSED))
    path = cache_dir / f"{digest}.pdf" if cache_dir is not None and closed else None
    if path is not None and path.exists():
        return path.read_bytes(), digest
    pdf = render_pdf(data, min_cell=min_cell)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.with_suffix(".tmp").write_bytes(pdf)
        path.with_suffix(".tmp").replace(path)
    return pdf, digest


def report_cache_dir() -> Path:
    return Path(current_app.instance_path) / "reports"


def file_name(request: ReportRequest) -> str:
    subject = request.member or request.org.code
    return f"{request.wave.code}-{request.kind}-{subject}.pdf"


def requests_for(wave: Wave, level: str, org: Org | None) -> list[ReportRequest]:
    """Every report of ``level`` (county, township, village or member) under ``org`` (the
    whole county when None), in code order."""
    root = org or db.session.scalar(sa.select(Org).where(Org.parent_id.is_(None)))
    ids = subtree_ids(root.id)
    orgs = db.session.scalars(sa.select(Org).where(Org.id.in_(ids)).order_by(Org.code)).all()
    if level == "member":
        villages = {o.id: o for o in orgs if o.kind.level == "village"}
        people = db.session.scalars(
            sa.select(Person).where(Person.org_id.in_(villages)).order_by(Person.code)
        )
        coded = {r["unit"] for r in level_rows(wave, "village") if r["level"] == "member"}
        return [
            ReportRequest("member", wave, villages[p.org_id], p.code)
            for p in people
            if p.code in coded
        ]
    return [ReportRequest(level, wave, o) for o in orgs if o.kind.level == level]
