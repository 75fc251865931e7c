"""The programme's indices, composed as ``indices.yaml`` says, from a response table.

``compute_indices(table, spec, level=...)`` takes the plain columns of
:mod:`scoring.response_table` and the parsed ``indices.yaml`` (a dict; :func:`check_spec`
does the minimal validation the command line needs) and returns an :class:`IndicesReport`
of frozen dataclasses. Nothing here imports the app.

Designs (DOMAIN §9.3):

- 认可度 (approval), citizens. Weights are the village's adults over its respondents,
  raked to the village's sex (and age) margins where ``population`` gives them. Within one
  village the respondents are a sample of its adults: a stratified design with the village
  as stratum, each respondent a PSU, and the finite population correction from its adults;
  df = respondents - 1. Above the village the design depends on the wave (the table's
  ``village_census`` column). Where the wave surveyed every village of a township, stage
  one is a census: villages are strata, not sampled PSUs, so between-village differences
  are no sampling error; the township (and county) estimate is the stratified one, R's
  ``svydesign(ids = ~1, strata = ~village, fpc = ~adults, weights = ~w)`` raked within each
  village, its variance the sum of the villages' variances, df = respondents - villages.
  Where the wave sampled some of a township's villages, villages are the clusters and
  townships the strata (one-stage "ultimate cluster" variance, R's
  ``svydesign(ids = ~village, strata = ~township, weights = ~w)``); a township's df is its
  villages - 1. A county with both kinds stacks the two as strata. A township with a single
  village takes that village's design, and at county level such a township is a lonely
  stratum handled as R's ``survey.lonely.psu = "adjust"``. ``IndexResult.design`` records
  which design each estimate used.
- Other instruments are rated by a handful of named raters (households linked to a member,
  fellow members, a branch's members): each rating component is the raters' mean with its
  SRS standard error and ``n - 1`` df; it is feedback, not a sample estimate, and the
  report says how many raters stand behind it.

Composites (documented per case in the results' ``notes``):

- components answered by the same respondents (the four 四清 dimensions; the 三不腐
  dimensions) are combined per respondent first, with the ``indices.yaml`` weights
  renormalised over the dimensions the respondent has, and then estimated as one variable,
  so their covariances are counted;
- components from independent samples (residents, members, the secretary, lower-level
  indices) combine as ``Σ w_k e_k`` with variance ``Σ w_k² se_k²`` and Welch-Satterthwaite
  df; fixed points (organisation points, a single self-rating, a single secretary's
  checklist) carry no sampling variance;
- the mean of a lower-level index (members' pioneer scores in a village, villages' fortress
  scores in a township) has variance ``Σ se_i² / k²``;
- a component whose source is absent for the whole county (no points records, no
  self-ratings collected) is left out and the weights renormalised, with a note; a unit whose
  own component has too few raters is 样本不足 and gets no grade.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

import numpy as np
from scipy import stats

from scoring.ballots import BallotTally, tally_ballots
from scoring.calibrate import rake
from scoring.design import Design
from scoring.estimators import difference, mean
from scoring.grades import (
    NO_SPREAD,
    TOO_FEW,
    Grade,
    bands_from_spec,
    capped,
    grade,
    lowest,
    not_graded,
)
from scoring.ranks import RankInterval, rank_intervals
from scoring.rates import Rate, RateRatio, poisson_rate, rate_ratio
from scoring.reliability import cronbach_alpha, mcdonald_omega
from scoring.results import ConfidenceInterval, Estimate, check_confidence_level, t_quantile
from scoring.small_area import ShrinkageEstimate, fay_herriot, smoothed_sampling_variance

LEVELS = ("village", "township", "county")
PUBLISHED = "已发布"
EXEMPT = "免评"
MISSING_COMPONENT = "缺少成分"
VETOED = "一票否决"  # the status of a vetoed unit whose own score could not be published
ALPHA_FLOOR = 0.7
REQUIRED_COLUMNS = ("period", "instrument", "org", "township", "subject")
KNOWN_PREFIXES = ("dim:", "sat:", "item:", "answer:")
KNOWN_COLUMNS = frozenset(
    (
        *REQUIRED_COLUMNS,
        "self_rating",
        "audience",
        "adults",
        "age_group",
        "sex",
        "respondent",
        "village_census",
    )
)


# ----------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class ComponentResult:
    """One component of an index for one unit.

    ``kind``: ``survey`` (rated by respondents), ``fixed`` (points, a single rating: no
    sampling variance), ``index_mean`` (mean of a lower-level index) or ``breakdown``
    (reported beside the index, weight 0).
    """

    id: str
    title: str
    weight: float
    kind: str
    estimate: Estimate | None
    raters: int
    min_raters: int | None
    status: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class IndexResult:
    """One index for one unit, ready for a table or a report.

    ``status`` is 已发布, 样本不足, 方差为零, 缺少成分, 免评 or 一票否决; only 已发布 units
    are graded by their interval and ranked. A veto event (清零 / 一票否决) always applies:
    a vetoed unit gets the lowest grade, and 一票否决 is its status when its own score could
    not be published (the note says why: 样本不足 …). ``estimate`` is the direct
    (design-based) estimate even when the status withholds publication, so the report can
    show it beside the label (under 清零, 0). ``shrinkage`` is the
    Fay-Herriot estimate (villages' approval only), ``rank`` the rank with its 90 % interval.
    ``design`` says how a citizen estimate was designed: ``village`` (one village's
    respondents), ``villages_as_strata`` (the wave surveyed every village: a census at stage
    one), ``villages_as_clusters`` (a sample of villages) or ``mixed`` (the county, when its
    townships differ); empty for the rated indices.
    """

    index: str
    title: str
    level: str
    unit: str
    parent: str | None
    estimate: Estimate | None
    status: str
    raters: int
    components: tuple[ComponentResult, ...] = ()
    grades: tuple[Grade, ...] = ()
    shrinkage: ShrinkageEstimate | None = None
    rank: RankInterval | None = None
    score_before_veto: float | None = None
    vetoed_by: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    design: str = ""


@dataclass(frozen=True, slots=True)
class PairedDifference:
    """``first - second`` from the same respondents; ``verdict`` 不均衡 when the CI excludes 0."""

    unit: str
    first: str
    second: str
    estimate: Estimate
    verdict: str


@dataclass(frozen=True, slots=True)
class Change:
    """A 三升 index between two waves; 升/降 only when the CI of the change excludes 0."""

    index: str
    title: str
    unit: str
    current: Estimate | None
    previous: Estimate | None
    change: Estimate | None
    verdict: str


@dataclass(frozen=True, slots=True)
class CountChange:
    """A 两降 count (violations, petitions): rates per 1,000 and the exact rate ratio."""

    kind: str
    unit: str
    current_period: str
    previous_period: str | None
    current: Rate
    ratio: RateRatio | None


@dataclass(frozen=True, slots=True)
class DimensionReliability:
    instrument: str
    dimension: str
    alpha: float
    alpha_ci: ConfidenceInterval
    omega: float | None
    n: int
    k: int
    flagged: bool  # alpha below 0.7


@dataclass(frozen=True, slots=True)
class QuizResult:
    """The 十条军规 quiz: mean percent correct and the share reaching the pass mark."""

    name: str  # the rule's key under ``quizzes`` in indices.yaml
    unit: str
    score: Estimate
    pass_mark: float
    passed_share: Estimate


@dataclass(frozen=True, slots=True)
class IndicesReport:
    level: str
    results: tuple[IndexResult, ...]
    balance: tuple[PairedDifference, ...] = ()
    quiz: tuple[QuizResult, ...] = ()
    changes: tuple[Change, ...] = ()
    counts: tuple[CountChange, ...] = ()
    ballots: tuple[BallotTally, ...] = ()
    reliability: tuple[DimensionReliability, ...] = ()
    notes: tuple[str, ...] = ()


# ----------------------------------------------------------------------------- spec


def check_spec(spec: Any) -> None:
    """The minimal validation ``python -m scoring indices`` needs of a parsed indices.yaml.

    (The app's ``flask questionnaires check`` is the full checker; this repeats only what
    the computation relies on, so a hand-edited file fails in one plain line.)

    Raises
    ------
    ValueError
        Naming the first problem: a missing key, a weight that is not a number, a component
        naming an unknown index or band set, bands that overlap.

    Examples
    --------
    >>> check_spec({"bands": {}, "indices": {"x": {"unit": "village", "components": []}}})
    Traceback (most recent call last):
    ...
    ValueError: indices.x: needs at least one component
    """
    if not isinstance(spec, Mapping) or "indices" not in spec or "bands" not in spec:
        raise ValueError("spec: an indices file needs 'bands' and 'indices' at the top level")
    for name, band_set in spec["bands"].items():
        try:
            bands_from_spec(band_set)
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"bands.{name}: {error}") from None
    for name, index in spec["indices"].items():
        where = f"indices.{name}"
        if not isinstance(index, Mapping) or "unit" not in index:
            raise ValueError(f"{where}: needs a unit")
        if not index.get("components"):
            raise ValueError(f"{where}: needs at least one component")
        for band in index.get("bands", []):
            if band not in spec["bands"]:
                raise ValueError(f"{where}.bands: no band set {band!r}")
        for c in index["components"]:
            if "id" not in c or not isinstance(c.get("weight"), (int, float)):
                raise ValueError(
                    f"{where}: component {c.get('id')!r} needs an id and a numeric weight"
                )
            if c.get("index") is not None and c["index"] not in spec["indices"]:
                raise ValueError(f"{where}.{c['id']}: no index {c['index']!r}")
    rises = spec.get("rises") or []
    if not isinstance(rises, list):
        raise ValueError("rises: should be a list of {title, instrument}")
    for i, rise in enumerate(rises):
        if not isinstance(rise, Mapping) or not all(
            isinstance(rise.get(key), str) and rise[key] for key in ("title", "instrument")
        ):
            raise ValueError(f"rises[{i}]: needs a title and an instrument")


def check_table(table: Mapping[str, np.ndarray]) -> None:
    """Refuse a table with a missing required column or an unknown one (one line)."""
    for name in REQUIRED_COLUMNS:
        if name not in table:
            raise ValueError(f"table: no column '{name}'")
    for name in table:
        if name not in KNOWN_COLUMNS and not name.startswith(KNOWN_PREFIXES):
            raise ValueError(f"table: unknown column '{name}'")
    if not (np.asarray(table["period"]) == "current").any():
        raise ValueError("table: no responses in the current wave")


# ----------------------------------------------------------------------------- helpers


def _f(table, name) -> np.ndarray:
    if name not in table:
        return np.full(len(table["period"]), np.nan)
    return np.asarray(table[name], dtype=float)


def _s(table, name) -> np.ndarray:
    if name not in table:
        return np.full(len(table["period"]), "", dtype=object)
    return np.asarray(table[name]).astype(str)


def _rows(table, mask) -> dict[str, np.ndarray]:
    return {k: np.asarray(v)[mask] for k, v in table.items()}


# Index scores, dimensions and rater means lie on 0-100; satisfied shares on 0-1; paired
# differences of two dimensions on -100-100.
SCALE = (0.0, 100.0)
CLIPPED_NOTE = "置信区间超出 0–100 分的部分已截去（分数不可能取到）"


def _bounds(var: str) -> tuple[float, float]:
    if var.startswith("diff:"):
        return (-SCALE[1], SCALE[1])
    if var.startswith("sat:") or var == "quiz_pass":
        return (0.0, 1.0)
    return SCALE


def _t_interval(
    estimate: float, se: float, df: int, level: float, bounds: tuple[float, float] = SCALE
) -> ConfidenceInterval:
    """:func:`scoring.results.t_interval`, the same arithmetic, with each t quantile computed
    once (a county has some 20,000 rated units, and SciPy's ``t.ppf`` takes about 0.2 ms),
    and clipped to the scale ``bounds``.

    Clipped rather than transformed: the true value lies on the scale, so the clipped
    interval covers it whenever the t interval does (same coverage) and drops only values
    that cannot occur. A logit-type transform would move the centre and width of every
    unit's interval, not only those near 0 or 100, and a 0-100 mean is not a proportion;
    near the bound its delta-method SE on the transformed scale blows up. A village at 98
    with 5 respondents thus shows 9x-100, and can be graded in the top band.
    """
    check_confidence_level(level)
    if df < 1 or not math.isfinite(se):
        return ConfidenceInterval(math.nan, math.nan)
    half = t_quantile(int(df), float(level)) * se
    return ConfidenceInterval(
        float(max(estimate - half, bounds[0])), float(min(estimate + half, bounds[1]))
    )


def _with_df(e: Estimate, df: int, bounds: tuple[float, float] = SCALE) -> Estimate:
    return replace(e, df=df, ci=_t_interval(e.estimate, e.se, df, e.confidence_level, bounds))


def _is_clipped(e: Estimate | None) -> bool:
    """Whether ``e``'s interval was cut at 0 or 100 (see :func:`_t_interval`)."""
    if e is None or not e.se > 0 or not math.isfinite(e.se):
        return False
    return e.ci.low == SCALE[0] or e.ci.high == SCALE[1]


def _fixed(value: float, level: float, n: int = 1) -> Estimate:
    """A number with no sampling variance (points, one rater): se 0, the interval a point."""
    return Estimate(
        float(value), 0.0, ConfidenceInterval(float(value), float(value)), level, 0, n, n
    )


def _srs(values: np.ndarray, level: float) -> Estimate | None:
    y = values[np.isfinite(values)]
    n = len(y)
    if n == 0:
        return None
    if n == 1:
        return Estimate(
            float(y[0]), math.nan, ConfidenceInterval(math.nan, math.nan), level, 0, 1, 1
        )
    se = float(np.std(y, ddof=1) / math.sqrt(n))
    est = float(y.mean())
    return Estimate(est, se, _t_interval(est, se, n - 1, level), level, n - 1, n, n)


# NumPy sums fewer than 8 values one after another, as np.bincount does; from 8 on it uses
# pairwise partial sums, so larger groups go through _srs itself to give the same bits.
SEQUENTIAL_SUM = 8


def _srs_by(groups: np.ndarray, values: np.ndarray, level: float) -> dict[str, Estimate | None]:
    """:func:`_srs` of ``values`` within each non-empty group, from one sort of the rows."""
    codes, inverse = np.unique(groups, return_inverse=True)
    finite = np.isfinite(values)
    g, y = inverse[finite], values[finite]
    k = len(codes)
    n = np.bincount(g, minlength=k)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.bincount(g, weights=y, minlength=k) / n
        deviation = y - means[g]
        spread = np.sqrt(np.bincount(g, weights=deviation * deviation, minlength=k) / (n - 1))
    order = np.argsort(g, kind="stable")
    ends = np.cumsum(n)
    out: dict[str, Estimate | None] = {}
    for j, code in enumerate(codes.tolist()):
        if not code:
            continue
        if n[j] == 0:
            out[code] = None
        elif n[j] >= SEQUENTIAL_SUM:
            out[code] = _srs(y[order[ends[j] - n[j] : ends[j]]], level)
        elif n[j] == 1:
            out[code] = _srs(y[order[ends[j] - 1 : ends[j]]], level)
        else:
            size = int(n[j])
            se = float(spread[j] / math.sqrt(size))
            est = float(means[j])
            out[code] = Estimate(
                est, se, _t_interval(est, se, size - 1, level), level, size - 1, size, size
            )
    return out


def combine_independent(parts: Sequence[tuple[float, Estimate]], level: float) -> Estimate:
    """``Σ w_k e_k / Σ w_k`` of independent estimates; variances add (Satterthwaite df).

    Examples
    --------
    >>> a = _fixed(60.0, 0.95)
    >>> b = Estimate(80.0, 2.0, ConfidenceInterval(76, 84), 0.95, 9, 10, 10)
    >>> e = combine_independent([(0.5, a), (0.5, b)], 0.95)
    >>> e.estimate, e.se, e.df
    (70.0, 1.0, 9)
    """
    total = math.fsum(w for w, _ in parts)
    est = math.fsum(w * e.estimate for w, e in parts) / total
    pieces = [((w / total) ** 2 * e.se**2, e.df) for w, e in parts if e.se > 0]
    var = math.fsum(v for v, _ in pieces)
    n = sum(e.n for _, e in parts)
    n_psu = sum(e.n_psu for _, e in parts)
    if var == 0:
        return _fixed(est, level, n)
    df = int(var**2 / math.fsum(v**2 / max(d, 1) for v, d in pieces))
    se = math.sqrt(var)
    return Estimate(est, se, _t_interval(est, se, df, level), level, df, n, n_psu)


def mean_of_estimates(estimates: Sequence[Estimate], level: float) -> Estimate:
    """Mean of lower-level index estimates (independent): variance ``Σ se_i² / k²``."""
    k = len(estimates)
    return combine_independent([(1.0 / k, e) for e in estimates], level)


def _per_respondent(table, weights: Mapping[str, float]) -> np.ndarray:
    """Weighted mean of the dimension columns that each respondent has (weights renormalised);
    NaN when those carry less than half of the weight."""
    num = np.zeros(len(table["period"]))
    den = np.zeros(len(table["period"]))
    for name, w in weights.items():
        y = _f(table, f"dim:{name}")
        have = np.isfinite(y)
        num += np.where(have, w * np.nan_to_num(y), 0.0)
        den += np.where(have, w, 0.0)
    total = sum(weights.values())
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where((den > 0) & (den >= 0.5 * total), num / den, np.nan)


def _status_of(e: Estimate | None, n: int, minimum: int, census: bool) -> str:
    if e is None or n < minimum:
        return TOO_FEW
    if e.has_zero_se and not census:
        return NO_SPREAD
    if not math.isfinite(e.se):
        return TOO_FEW
    return PUBLISHED


def _grades(spec, index_spec, e: Estimate | None, status: str) -> tuple[Grade, ...]:
    out = []
    for name in index_spec.get("bands", []):
        bands = spec["band_lists"][name]
        if status == PUBLISHED and e is not None:
            out.append(grade(name, bands, e.ci.low, e.ci.high))
        elif status == NO_SPREAD:
            out.append(grade(name, bands, math.nan, math.nan, zero_spread=True))
        else:
            out.append(not_graded(name, status, f"{status}，不定级"))
    return tuple(out)


# ----------------------------------------------------------------------------- citizen designs


# How a citizen estimate above the village was designed (IndexResult.design).
VILLAGE_DESIGN = "village"  # one village: its respondents, stratified by village, with fpc
VILLAGES_AS_STRATA = "villages_as_strata"  # every village surveyed: a census at stage one
VILLAGES_AS_CLUSTERS = "villages_as_clusters"  # a sample of villages: villages are the PSUs
MIXED_DESIGN = "mixed"  # the county when some townships are censuses of villages, some not
DESIGN_NOTES = {
    VILLAGES_AS_STRATA: "本轮调查覆盖全部村（社区）：村为层而非抽样单位，各村内按受访者抽样"
    "（含有限总体校正、村内加权）计算，方差为各村方差之和，自由度 = 受访者数 − 村数",
    VILLAGES_AS_CLUSTERS: "本轮调查只抽取部分村（社区）：村为抽样单位（整群），乡镇为层，"
    "自由度 = 村数 − 乡镇数",
    MIXED_DESIGN: "全覆盖的乡镇以村为层、抽村的乡镇以村为抽样单位（整群），方差按层相加",
}
CENSUS_COLUMN = "village_census"


@dataclass
class _CitizenData:
    rows: dict[str, np.ndarray]
    village_design: Design
    cluster_design: Design
    villages_of: dict[str, list[str]]
    adults: dict[str, float]
    census: frozenset[str]  # townships every village of which the wave surveyed
    notes: list[str] = field(default_factory=list)
    # Village estimates by (variable, confidence level): the approval, fortress and service
    # indices ask for the same few, and each is a domain estimate on the raked design.
    village_cache: dict[tuple[str, float], dict[str, Estimate]] = field(default_factory=dict)

    @functools.cached_property
    def census_rows(self) -> np.ndarray:
        return np.isin(self.rows["township"].astype(str), list(self.census))

    @functools.cached_property
    def county_design(self) -> Design:
        """The county's design: villages as strata where the wave surveyed every village of
        the township, as clusters where it sampled them."""
        if self.census_rows.all():
            return self.village_design
        if not self.census_rows.any():
            return self.cluster_design
        return _mixed_design(self.rows, self.village_design, self.census_rows)

    def design_of(self, townships: Sequence[str]) -> str:
        inside = [t in self.census for t in townships]
        return (
            VILLAGES_AS_STRATA
            if all(inside)
            else VILLAGES_AS_CLUSTERS
            if not any(inside)
            else MIXED_DESIGN
        )


def _citizen_data(table, index, period: str, population) -> _CitizenData | None:
    instrument = index["components"][0]["instrument"]
    mask = (_s(table, "instrument") == instrument) & (_s(table, "period") == period)
    if not mask.any():
        return None
    rows = _rows(table, mask)
    weights = {c["dimension"]: float(c["weight"]) for c in index["components"]}
    rows["composite"] = _per_respondent(rows, weights)
    for b in index.get("breakdowns", []):
        cols = [
            k
            for k in rows
            if k.startswith("item:") and k.split("/", 1)[1] in (b.get("items") or ())
        ]
        if cols:
            with np.errstate(all="ignore"):
                stacked = np.column_stack([rows[c] for c in cols])
                have = np.isfinite(stacked).any(axis=1)
                rows[f"bd:{b['id']}"] = np.where(
                    have, np.nanmean(np.where(have[:, None], stacked, 0), axis=1), np.nan
                )
    org = rows["org"].astype(str)
    codes, inverse, counts = np.unique(org, return_inverse=True, return_counts=True)
    adults = _f(rows, "adults")
    n_v = counts[inverse]
    known = np.isfinite(adults) & (adults > 0)
    rows["w"] = np.where(known, adults / n_v, 1.0)
    # Without a population figure no fpc is possible: a huge N leaves the SRS formula.
    rows["fpc"] = np.where(known, np.maximum(adults, n_v), 1e12)
    notes = []
    if not known.all():
        notes.append("部分村缺少成年人口数：按等权、不作有限总体校正计算")
    margins = {}
    if population:
        margins, rake_notes = _village_margins(rows, population)
        notes += rake_notes
    village_design = Design(rows, weights="w", strata="org", fpc="fpc", lonely_psu="adjust")
    if margins:
        village_design = rake(village_design, margins)
        # Raked to margins inside each village, a village's weighted total is fixed; the
        # one-stage (ultimate cluster) variance would then see no spread between villages
        # and report an SE of 0. Above the village the raked weights are used as plain
        # weights, which keeps the between-village variance (slightly conservative).
        rows["w"] = village_design.weights
    cluster_design = Design(
        rows, weights="w", strata="township", clusters="org", lonely_psu="adjust"
    )
    villages_of: dict[str, list[str]] = {}
    for v, t in sorted(set(zip(org.tolist(), rows["township"].astype(str).tolist(), strict=True))):
        villages_of.setdefault(t, []).append(v)
    adult_of = {
        v: float(a) for v, a in zip(org.tolist(), adults.tolist(), strict=True) if math.isfinite(a)
    }
    return _CitizenData(
        rows, village_design, cluster_design, villages_of, adult_of, _census_townships(rows), notes
    )


def _census_townships(rows) -> frozenset[str]:
    """Townships whose every village the wave surveyed (``village_census`` 1 on all their
    rows). Without the column no township is taken as a census: villages stay clusters."""
    township = rows["township"].astype(str)
    flag = _f(rows, CENSUS_COLUMN)
    return frozenset(set(township[flag == 1].tolist()) - set(township[flag != 1].tolist()))


def _mixed_design(rows, village_design: Design, census_rows: np.ndarray) -> Design:
    """One design for a county where some townships are censuses of villages and some not.

    Census townships contribute their villages as strata with respondents as PSUs (fpc:
    adults) and their within-village raking; sampled townships are strata with villages as
    PSUs, no fpc, the raked weights taken as plain weights (as ``cluster_design``).
    """
    org = rows["org"].astype(str)
    columns = dict(rows)
    columns["design_stratum"] = np.where(
        census_rows, "v:" + org, "t:" + rows["township"].astype(str)
    )
    columns["design_psu"] = np.where(census_rows, np.arange(len(org)).astype(str), "v:" + org)
    # No fpc between villages of a sampled township: a huge N leaves the factor 1.
    columns["design_fpc"] = np.where(census_rows, rows["fpc"], 1e12)
    design = Design(
        columns,
        weights="w",
        strata="design_stratum",
        clusters="design_psu",
        fpc="design_fpc",
        lonely_psu="adjust",
    )
    margins = tuple(
        replace(m, codes=np.where(census_rows, m.codes, -1)) for m in village_design.calibration
    )
    return design.with_calibration(village_design.weights, margins) if margins else design


def _village_margins(rows, population) -> tuple[dict, list[str]]:
    """Raking margins within each village: column ``rake_<var>`` = village|level.

    A village is raked on a variable only when the county gave its cells, every level the
    respondents named is among them, and every cell has a respondent; respondents who
    declined keep their base weight (their own cell, targeted at its base total).
    """
    notes, margins = [], {}
    org = rows["org"].astype(str)
    for var in ("sex", "age_group"):
        answers = rows.get(var)
        if answers is None:
            continue
        answers = answers.astype(str)
        cells: dict[str, dict[str, float]] = {}
        for entry in population:
            cells.setdefault(str(entry["org"]), {}).setdefault(str(entry[var]), 0.0)
            cells[str(entry["org"])][str(entry[var])] += float(entry["adults"])
        levels = np.array([f"{v}|{a or '未答'}" for v, a in zip(org, answers, strict=True)])
        target: dict[str, float] = {}
        raked, skipped = 0, 0
        for v in np.unique(org):
            here = org == v
            w = rows["w"][here]
            said = answers[here]
            pop = cells.get(v, {})
            named = set(said[said != ""].tolist())
            if (
                pop
                and named
                and named == set(k for k, x in pop.items() if x > 0)
                and named <= set(pop)
            ):
                declined = float(w[said == ""].sum())
                scale = (w.sum() - declined) / sum(pop.values())
                for level, x in pop.items():
                    if x > 0:
                        target[f"{v}|{level}"] = x * scale
                if declined:
                    target[f"{v}|未答"] = declined
                raked += 1
            else:
                levels[here] = f"{v}|*"
                target[f"{v}|*"] = float(w.sum())
                skipped += 1
        if raked:
            rows[f"rake_{var}"] = levels
            margins[f"rake_{var}"] = target
        label = {"sex": "性别", "age_group": "年龄段"}[var]
        if skipped:
            notes.append(
                f"按{label}加权：{raked} 个村已加权，{skipped} 个村因人口分组缺失、"
                "口径不一致或有空格未加权"
            )
    return margins, notes


def _village_estimates(data: _CitizenData, var: str, level: float) -> dict[str, Estimate]:
    key = (var, level)
    if key not in data.village_cache:
        data.village_cache[key] = _village_estimates_of(data, var, level)
    return dict(data.village_cache[key])


def _village_estimates_of(data: _CitizenData, var: str, level: float) -> dict[str, Estimate]:
    if not np.isfinite(data.rows.get(var, _f(data.rows, var))).any():
        return {}
    found = mean(data.village_design, var, by="org", confidence_level=level)
    return {v: _with_df(e, max(e.n - 1, 0), _bounds(var)) for v, e in found.items() if e.n > 0}


def _township_estimates(data: _CitizenData, var: str, level: float) -> dict[str, Estimate]:
    y = data.rows.get(var, _f(data.rows, var))
    if not np.isfinite(y).any():
        return {}
    # A township whose every village was surveyed: villages are strata (the village design);
    # else villages are its sampled PSUs (the cluster design).
    by_design = {
        True: mean(data.village_design, var, by="township", confidence_level=level)
        if data.census
        else {},
        False: mean(data.cluster_design, var, by="township", confidence_level=level)
        if data.census_rows.size and not data.census_rows.all()
        else {},
    }
    # The villages with an estimate are those with an answer; their estimates (a domain
    # estimate each on the raked design) are needed only for a single-village township.
    answered = set(data.rows["org"].astype(str)[~np.isnan(y)].tolist())
    out = {}
    for t in data.villages_of:
        e = by_design[t in data.census].get(t)
        members = [v for v in data.villages_of[t] if v in answered]
        if len(members) == 1:
            out[t] = _village_estimates(data, var, level)[members[0]]
        elif e is not None and e.n > 0:
            out[t] = _with_df(e, _df_answered(data, y, [t]), _bounds(var))
    return out


def _county_estimate(data: _CitizenData, var: str, level: float) -> Estimate | None:
    y = data.rows.get(var, _f(data.rows, var))
    if not np.isfinite(y).any():
        return None
    e = mean(data.county_design, var, confidence_level=level)
    df = _df_answered(data, y, list(data.villages_of)) if data.census else e.df
    return _with_df(e, df, _bounds(var))


def _df_answered(data: _CitizenData, y: np.ndarray, townships: Sequence[str]) -> int:
    """PSUs minus strata among the rows of ``townships`` that answered (R's ``degf`` of that
    subset): respondents minus villages where villages are strata, villages minus
    townships where they are clusters."""
    answered = np.isfinite(y) & np.isin(data.rows["township"].astype(str), list(townships))
    org = data.rows["org"].astype(str)
    strata = answered & data.census_rows
    clusters = answered & ~data.census_rows
    return int(
        strata.sum()
        - len(np.unique(org[strata]))
        + len(np.unique(org[clusters]))
        - len(np.unique(data.rows["township"].astype(str)[clusters]))
    )


# ----------------------------------------------------------------------------- approval


def _approval(table, spec, name, population, level, seed, period="current"):
    index = spec["indices"][name]
    data = _citizen_data(table, index, period, population)
    if data is None:
        return [], None
    parts = [
        (c["id"], c["title"], float(c["weight"]), "survey", f"dim:{c['dimension']}")
        for c in index["components"]
    ]
    for b in index.get("breakdowns", []):
        column = f"dim:{b['dimension']}" if b.get("dimension") else f"bd:{b['id']}"
        if column in data.rows:
            parts.append((b["id"], b["title"], 0.0, "breakdown", column))
    minimum = int(index.get("min_respondents") or 1)
    village = _village_estimates(data, "composite", level)
    township = _township_estimates(data, "composite", level)
    county = _county_estimate(data, "composite", level)
    comp_v = {p[0]: _village_estimates(data, p[4], level) for p in parts}
    comp_t = {p[0]: _township_estimates(data, p[4], level) for p in parts}
    comp_c = {p[0]: _county_estimate(data, p[4], level) for p in parts}
    parent = {v: t for t, vs in data.villages_of.items() for v in vs}
    results = []
    note = "四清各维度按受访者先加权合成再估计（同一受访者，协方差计入）"
    for v, e in village.items():
        n_adults = data.adults.get(v, math.inf)
        census = e.n >= n_adults
        min_here = int(min(minimum, n_adults))
        status = _status_of(e, e.n, min_here, census)
        comps = tuple(
            ComponentResult(
                p[0],
                p[1],
                p[2],
                p[3],
                comp_v[p[0]].get(v),
                getattr(comp_v[p[0]].get(v), "n", 0),
                minimum,
                _status_of(
                    comp_v[p[0]].get(v), getattr(comp_v[p[0]].get(v), "n", 0), min_here, census
                ),
            )
            for p in parts
        )
        notes = [note] + (["全体成年人均已作答（普查），无抽样误差"] if census else [])
        results.append(
            IndexResult(
                name,
                index["title"],
                "village",
                v,
                parent.get(v),
                e,
                status,
                e.n,
                comps,
                _grades(spec, index, e, status),
                notes=tuple(notes),
                design=VILLAGE_DESIGN,
            )
        )
    results = _with_shrinkage(results, data, level)
    for t, e in township.items():
        n_villages = len(data.villages_of.get(t, []))
        status = _status_of(e, e.n, minimum, False)
        comps = tuple(
            ComponentResult(
                p[0],
                p[1],
                p[2],
                p[3],
                comp_t[p[0]].get(t),
                getattr(comp_t[p[0]].get(t), "n", 0),
                minimum,
                status,
            )
            for p in parts
        )
        design = VILLAGE_DESIGN if n_villages == 1 else data.design_of([t])
        notes = [note] + (
            ["乡镇仅一个村（社区）：按该村抽样设计计算"]
            if n_villages == 1
            else [DESIGN_NOTES[design]]
        )
        results.append(
            IndexResult(
                name,
                index["title"],
                "township",
                t,
                None,
                e,
                status,
                e.n,
                comps,
                _grades(spec, index, e, status),
                notes=tuple(notes),
                design=design,
            )
        )
    if county is not None:
        county_design = data.design_of(list(data.villages_of))
        status = _status_of(county, county.n, minimum, False)
        comps = tuple(
            ComponentResult(
                p[0], p[1], p[2], p[3], comp_c[p[0]], getattr(comp_c[p[0]], "n", 0), minimum, status
            )
            for p in parts
        )
        results.append(
            IndexResult(
                name,
                index["title"],
                "county",
                "county",
                None,
                county,
                status,
                county.n,
                comps,
                _grades(spec, index, county, status),
                notes=(note, DESIGN_NOTES[county_design]),
                design=county_design,
            )
        )
    return _ranked(results, level, seed), data


def _with_shrinkage(
    results: list[IndexResult], data: _CitizenData, level: float
) -> list[IndexResult]:
    usable = [r for r in results if r.estimate is not None and r.estimate.n >= 2]
    if len(usable) < 3:
        return results
    y = data.rows["composite"]
    org = data.rows["org"].astype(str)
    ok = np.isfinite(y)
    codes, inv = np.unique(org[ok], return_inverse=True)
    sums = np.bincount(inv, weights=y[ok])
    n = np.bincount(inv)
    ss = np.bincount(inv, weights=y[ok] ** 2) - sums**2 / n
    pooled = float(ss.sum() / max(n.sum() - len(n), 1))
    direct = np.array([r.estimate.estimate for r in usable])
    counts = np.array([r.estimate.n for r in usable], dtype=float)
    pops = np.array([data.adults.get(r.unit, np.inf) for r in usable])
    d = smoothed_sampling_variance(counts, pooled, pops)
    townships = sorted({r.parent for r in usable})
    x = np.array([[1.0] + [float(r.parent == t) for t in townships[1:]] for r in usable])
    if len(usable) < x.shape[1] + 2:
        x = None
    fit = fay_herriot(direct, d, x, confidence_level=level)
    # The model interval is clipped to the scale as the direct one is (see _t_interval).
    by_unit = {
        r.unit: replace(a, ci=ConfidenceInterval(max(a.ci.low, SCALE[0]), min(a.ci.high, SCALE[1])))
        for r, a in zip(usable, fit.areas, strict=True)
    }
    return [replace(r, shrinkage=by_unit.get(r.unit)) for r in results]


def _ranked(results: list[IndexResult], level: float, seed: int) -> list[IndexResult]:
    out = list(results)
    for lvl in ("village", "township", "member"):
        idx = [
            i
            for i, r in enumerate(out)
            if r.level == lvl
            and r.status == PUBLISHED
            and r.estimate is not None
            and math.isfinite(r.estimate.se)
        ]
        if len(idx) < 2:
            continue
        ranks = rank_intervals(
            [out[i].estimate.estimate for i in idx], [out[i].estimate.se for i in idx], seed=seed
        )
        for i, rank in zip(idx, ranks, strict=True):
            out[i] = replace(out[i], rank=rank)
    return out


# ----------------------------------------------------------------------------- integrity


def _integrity(table, spec, name, level, period="current"):
    index = spec["indices"][name]
    instrument = index["components"][0]["instrument"]
    mask = (_s(table, "instrument") == instrument) & (_s(table, "period") == period)
    if not mask.any():
        return [], [], [], None
    rows = _rows(table, mask)
    weights = {c["dimension"]: float(c["weight"]) for c in index["components"]}
    rows["composite"] = _per_respondent(rows, weights)
    dims = [c["dimension"] for c in index["components"]]
    three = [d for d in dims if d in ("不敢腐", "不能腐", "不想腐")]
    pairs = [(a, b) for i, a in enumerate(three) for b in three[i + 1 :]]
    for a, b in pairs:
        rows[f"diff:{a}-{b}"] = _f(rows, f"dim:{a}") - _f(rows, f"dim:{b}")
    quiz_name, quiz = next(iter(spec.get("quizzes", {}).items()), (None, None))
    if quiz:
        pass_mark = float(Fraction(str(quiz.get("pass") or 0))) * 100
        score = _f(rows, f"dim:{quiz['dimension']}")
        rows["quiz_pass"] = np.where(
            np.isfinite(score), (score >= pass_mark - 1e-9).astype(float), np.nan
        )
    design = Design(rows, strata="township", lonely_psu="adjust")
    minimum = int(index.get("min_respondents") or 1)
    note = "三不腐等维度按受访者先加权合成再估计；干部视为简单随机样本，未作有限总体校正（偏保守）"

    def estimates(var):
        by = mean(design, var, by="township", confidence_level=level)
        by = {t: _with_df(e, max(e.n - 1, 0), _bounds(var)) for t, e in by.items() if e.n > 0}
        overall = mean(design, var, confidence_level=level)
        return by, _with_df(overall, overall.df, _bounds(var))

    composite_t, composite_c = estimates("composite")
    comp = {c["id"]: estimates(f"dim:{c['dimension']}") for c in index["components"]}
    results = []
    for unit, lvl, e, pick in [
        (t, "township", e, lambda x, t=t: x[0].get(t)) for t, e in composite_t.items()
    ] + [("county", "county", composite_c, lambda x: x[1])]:
        status = _status_of(e, e.n, minimum, False)
        comps = tuple(
            ComponentResult(
                c["id"],
                c["title"],
                float(c["weight"]),
                "survey",
                pick(comp[c["id"]]),
                getattr(pick(comp[c["id"]]), "n", 0),
                minimum,
                status,
            )
            for c in index["components"]
        )
        results.append(
            IndexResult(
                name,
                index["title"],
                lvl,
                unit,
                None,
                e,
                status,
                e.n,
                comps,
                _grades(spec, index, e, status),
                notes=(note,),
            )
        )
    balance = []
    for a, b in pairs:
        by, overall = estimates(f"diff:{a}-{b}")
        for unit, e in [*by.items(), ("county", overall)]:
            verdict = "不均衡" if (e.ci.low > 0 or e.ci.high < 0) else "无显著差异"
            balance.append(PairedDifference(unit, a, b, e, verdict))
    quizzes = []
    if quiz:
        s_by, s_all = estimates(f"dim:{quiz['dimension']}")
        p_by, p_all = estimates("quiz_pass")
        for unit in [*s_by, "county"]:
            s = s_all if unit == "county" else s_by.get(unit)
            p = p_all if unit == "county" else p_by.get(unit)
            if s is not None and p is not None:
                quizzes.append(QuizResult(quiz_name, unit, s, pass_mark, _share_interval(p)))
    return results, balance, quizzes, rows


def _share_interval(e: Estimate) -> Estimate:
    """A share's t interval kept inside [0, 1]; with se 0 (all pass or none) the exact
    Clopper-Pearson interval for the n cadres, not a zero-width certainty."""
    if e.se > 0:
        return replace(e, ci=ConfidenceInterval(max(e.ci.low, 0.0), min(e.ci.high, 1.0)))
    k, n = round(e.estimate * e.n), e.n
    alpha = 1 - e.confidence_level
    low = 0.0 if k == 0 else float(stats.beta.ppf(alpha / 2, k, n - k + 1))
    high = 1.0 if k == n else float(stats.beta.ppf(1 - alpha / 2, k + 1, n - k))
    return replace(e, ci=ConfidenceInterval(low, high))


# ----------------------------------------------------------------------------- rated subjects


def _rater_means(
    table,
    instrument: str,
    *,
    self_rating: int | None = None,
    audience: str | None = None,
    var: str = "respondent",
    level: float = 0.95,
    period="current",
) -> dict[str, Estimate | None]:
    mask = (_s(table, "instrument") == instrument) & (_s(table, "period") == period)
    if self_rating is not None:
        mask &= np.nan_to_num(_f(table, "self_rating")) == self_rating
    if audience is not None:
        mask &= _s(table, "audience") == audience
    return _srs_by(_s(table, "subject")[mask], _f(table, var)[mask], level)


def _survey_component(c, e: Estimate | None, level: float) -> ComponentResult:
    raters = 0 if e is None else e.n
    minimum = int(c.get("min_respondents") or 1)
    if e is None or raters < minimum:
        return ComponentResult(
            c["id"],
            c["title"],
            float(c["weight"]),
            "survey",
            e,
            raters,
            minimum,
            TOO_FEW,
            f"评价人数 {raters}，少于 {minimum}：只列人数，不计分",
        )
    if raters == 1:
        return ComponentResult(
            c["id"],
            c["title"],
            float(c["weight"]),
            "fixed",
            _fixed(e.estimate, level),
            1,
            minimum,
            PUBLISHED,
            "单人评分：无抽样误差可言",
        )
    status = NO_SPREAD if e.has_zero_se else PUBLISHED
    return ComponentResult(
        c["id"],
        c["title"],
        float(c["weight"]),
        "survey",
        e,
        raters,
        minimum,
        status,
        f"{raters} 人评价（指定评价人，属反馈而非抽样估计）",
    )


def _compose(
    spec,
    name,
    unit,
    level_name,
    parent,
    comps: list[ComponentResult],
    absent: list[str],
    level: float,
    vetoes: Sequence[str] = (),
    extra_notes: Sequence[str] = (),
) -> IndexResult:
    index = spec["indices"][name]
    notes = list(extra_notes)
    if absent:
        notes.append(f"{'、'.join(absent)}：全县均无数据，权重按其余成分重新分配")
    present = [c for c in comps if c.kind != "breakdown"]
    blocked = [c for c in present if c.status in (TOO_FEW, MISSING_COMPONENT) or c.estimate is None]
    raters = sum(c.raters for c in present if c.kind == "survey")
    events = [ev for ev in vetoes if ev in (index.get("vetoes") or {}).get("events", [])]
    if events and (blocked or not present):
        # A veto is a recorded fact, not an estimate: it applies however few raters there are.
        unscored = MISSING_COMPONENT if not present else _blocked_status(blocked)
        return _vetoed_unscored(
            spec,
            index,
            name,
            unit,
            level_name,
            parent,
            comps,
            raters,
            notes,
            events,
            unscored,
            level,
        )
    if blocked or not present:
        # No estimate to publish: too few raters for a component, or no component at all.
        status = _blocked_status(blocked) if blocked else MISSING_COMPONENT
        return IndexResult(
            name,
            index["title"],
            level_name,
            unit,
            parent,
            None,
            status,
            raters,
            tuple(comps),
            _grades(spec, index, None, status),
            notes=tuple(notes),
        )
    e = combine_independent([(c.weight, c.estimate) for c in present], level)
    notes.append("各成分来自不同评价人（相互独立），方差相加")
    zero_spread = any(c.status == NO_SPREAD for c in present) and e.se == 0
    status = NO_SPREAD if zero_spread else PUBLISHED
    grades = _grades(spec, index, e, status)
    before = None
    if events:
        effect = index["vetoes"]["effect"]
        before = e.estimate
        notes.append(f"一票否决（{'、'.join(events)}）；否决前得分 {before:.1f}")
        if effect == "zero":
            e = _fixed(0.0, level, e.n)
            grades = tuple(
                lowest(g.band_set, spec["band_lists"][g.band_set], "清零") for g in grades
            )
        else:
            grades = tuple(
                lowest(g.band_set, spec["band_lists"][g.band_set], "一票否决") for g in grades
            )
    return IndexResult(
        name,
        index["title"],
        level_name,
        unit,
        parent,
        e,
        status,
        raters,
        tuple(comps),
        grades,
        score_before_veto=before,
        vetoed_by=tuple(events),
        notes=tuple(notes),
    )


def _blocked_status(blocked: Sequence[ComponentResult]) -> str:
    return MISSING_COMPONENT if all(c.status == MISSING_COMPONENT for c in blocked) else TOO_FEW


def _vetoed_unscored(
    spec, index, name, unit, level_name, parent, comps, raters, notes, events, unscored, level
) -> IndexResult:
    """A unit with a veto event whose own score cannot be published (too few raters, a
    missing component): status 一票否决, the lowest grade, the score before the veto
    reported as what it is (样本不足 …), and under 清零 the score 0."""
    effect = index["vetoes"]["effect"]
    reason = "清零" if effect == "zero" else "一票否决"
    grades = tuple(
        lowest(name_, spec["band_lists"][name_], reason) for name_ in index.get("bands", [])
    )
    notes = [*notes, f"一票否决（{'、'.join(events)}）；否决前得分：{unscored}"]
    return IndexResult(
        name,
        index["title"],
        level_name,
        unit,
        parent,
        _fixed(0.0, level) if effect == "zero" else None,
        VETOED,
        raters,
        tuple(comps),
        grades,
        vetoed_by=tuple(events),
        notes=tuple(notes),
    )


def _pioneer(table, spec, name, points, vetoes, exempt, level):
    index = spec["indices"][name]
    member_org: dict[str, str] = {}
    sources = {}
    absent = []
    for c in index["components"]:
        if c.get("points") is not None:
            sources[c["id"]] = None
            if points is None:
                absent.append(c["title"])
            continue
        self_flag = (
            1
            if c.get("raters") == "self"
            else 0
            if c.get("instrument") == _peer_instrument(index)
            else None
        )
        found = _rater_means(table, c["instrument"], self_rating=self_flag, level=level)
        if not found:
            absent.append(c["title"])
        sources[c["id"]] = found
        mask = (_s(table, "instrument") == c["instrument"]) & (_s(table, "period") == "current")
        for s, o in _first_of_each(_s(table, "subject")[mask], _s(table, "org")[mask]).items():
            if s:
                member_org.setdefault(s, o)
    members = sorted(set(member_org) | set(points or {}))
    results = []
    for m in members:
        if m in (exempt or {}):
            results.append(
                IndexResult(
                    name,
                    index["title"],
                    "member",
                    m,
                    member_org.get(m),
                    None,
                    EXEMPT,
                    0,
                    notes=(f"免评：{'、'.join(exempt[m])}",),
                )
            )
            continue
        comps = []
        for c in index["components"]:
            if c["title"] in absent:
                continue
            if c.get("points") is not None:
                comps.append(_points_component(c, (points or {}).get(m), level))
            else:
                comps.append(_survey_component(c, sources[c["id"]].get(m), level))
        results.append(
            _compose(
                spec,
                name,
                m,
                "member",
                member_org.get(m),
                comps,
                absent,
                level,
                (vetoes or {}).get(m, ()),
            )
        )
    return results


def _peer_instrument(index) -> str | None:
    return next(
        (c.get("instrument") for c in index["components"] if c.get("raters") == "self"), None
    )


def _points_component(c, record: Mapping[str, float] | None, level: float) -> ComponentResult:
    rule = c["points"]
    record = record or {}
    bonus = min(float(record.get("bonus", 0)), float(rule.get("bonus_cap", math.inf)))
    deductions = min(float(record.get("deductions", 0)), float(rule.get("deduction_cap", math.inf)))
    score = min(max(float(rule.get("base", 0)) + bonus - deductions, 0.0), 100.0)
    note = "固定积分（基础分 + 加分 − 扣分，封顶后限于 0–100），无抽样误差"
    if not record:
        note = "无积分记录：按基础分计；" + note
    return ComponentResult(
        c["id"],
        c["title"],
        float(c["weight"]),
        "fixed",
        _fixed(score, level),
        0,
        None,
        PUBLISHED,
        note,
    )


def _fortress(table, spec, name, approval_data, pioneers, vetoes, level):
    index = spec["indices"][name]
    pioneer_by_org: dict[str, list[Estimate]] = {}
    for r in pioneers:
        if r.estimate is not None and r.status == PUBLISHED and r.parent:
            pioneer_by_org.setdefault(r.parent, []).append(r.estimate)
    sources, absent = {}, []
    villages = set()
    resident_share = {}
    for c in index["components"]:
        if c.get("index"):
            sources[c["id"]] = {v: mean_of_estimates(es, level) for v, es in pioneer_by_org.items()}
        elif (
            c.get("instrument")
            and approval_data is not None
            and c["instrument"] == approval_data.rows["instrument"][0]
        ):
            var = f"dim:{c['dimension']}"
            sources[c["id"]] = _village_estimates(approval_data, var, level)
            sat = f"sat:{c['dimension']}"
            if sat in approval_data.rows:
                resident_share = _village_estimates(approval_data, sat, level)
        elif c.get("instrument"):
            found = _rater_means(
                table,
                c["instrument"],
                audience=c.get("audience"),
                var=f"dim:{c['dimension']}" if c.get("dimension") else "respondent",
                level=level,
            )
            sources[c["id"]] = found
        else:
            sources[c["id"]] = {}
        if not sources[c["id"]]:
            absent.append(c["title"])
        villages |= set(sources[c["id"]])
    parent_of = _first_of_each(_s(table, "org"), _s(table, "township"))
    results = []
    for v in sorted(villages):
        comps = []
        for c in index["components"]:
            if c["title"] in absent:
                continue
            e = sources[c["id"]].get(v)
            if c.get("index"):
                comps.append(_index_mean_component(c, e, len(pioneer_by_org.get(v, []))))
            elif (
                approval_data is not None
                and c.get("instrument") == approval_data.rows["instrument"][0]
            ):
                comps.append(_design_component(c, e, approval_data.adults.get(v, math.inf)))
            else:
                comps.append(_survey_component(c, e, level))
        r = _compose(
            spec,
            name,
            v,
            "village",
            parent_of.get(v),
            comps,
            absent,
            level,
            (vetoes or {}).get(v, ()),
        )
        results.append(_apply_caps(spec, index, r, resident_share.get(v)))
    return results


def _first_of_each(keys: np.ndarray, values: np.ndarray) -> dict[str, str]:
    """Each key's value on the first row that has the key."""
    codes, first = np.unique(keys, return_index=True)
    return dict(zip(codes.tolist(), values[first].tolist(), strict=True))


def _design_component(c, e: Estimate | None, adults: float) -> ComponentResult:
    minimum = int(min(c.get("min_respondents") or 1, adults))
    raters = 0 if e is None else e.n
    census = e is not None and e.n >= adults
    status = _status_of(e, raters, minimum, census)
    note = (
        "按抽样设计估计（含有限总体校正）"
        if status == PUBLISHED
        else f"受访 {raters} 人，少于 {minimum}"
    )
    return ComponentResult(
        c["id"],
        c["title"],
        float(c["weight"]),
        "survey",
        e,
        raters,
        minimum,
        status if status != NO_SPREAD else PUBLISHED if census else NO_SPREAD,
        note,
    )


def _index_mean_component(c, e: Estimate | None, k: int) -> ComponentResult:
    if e is None:
        return ComponentResult(
            c["id"],
            c["title"],
            float(c["weight"]),
            "index_mean",
            None,
            0,
            1,
            TOO_FEW,
            "下级单位均无可发布的指数",
        )
    return ComponentResult(
        c["id"],
        c["title"],
        float(c["weight"]),
        "index_mean",
        e,
        k,
        1,
        PUBLISHED,
        f"{k} 个下级单位指数的均值，方差为各自方差之和除以 {k}²",
    )


def _apply_caps(spec, index, r: IndexResult, share: Estimate | None) -> IndexResult:
    grades = list(r.grades)
    notes = list(r.notes)
    for cap in index.get("caps", []):
        if cap.get("statistic") != "satisfied_share_ci_high" or share is None:
            continue
        if share.ci.high < float(cap["below"]) and not r.vetoed_by:
            bands = spec["band_lists"][cap["band_set"]]
            grades = [
                capped(g, bands, cap["max_grade"]) if g.band_set == cap["band_set"] else g
                for g in grades
            ]
            notes.append(
                f"群众满意率置信区间上限 {share.ci.high:.0%} 低于 "
                f"{float(cap['below']):.0%}：最多评{cap['max_grade']}"
            )
    return replace(r, grades=tuple(grades), notes=tuple(notes))


def _service(table, spec, name, approval_data, fortresses, level):
    index = spec["indices"][name]
    fortress_by_t: dict[str, list[Estimate]] = {}
    for r in fortresses:
        if r.estimate is not None and r.status == PUBLISHED and r.parent:
            fortress_by_t.setdefault(r.parent, []).append(r.estimate)
    sources, absent, townships = {}, [], set()
    for c in index["components"]:
        if c.get("index"):
            sources[c["id"]] = {t: mean_of_estimates(es, level) for t, es in fortress_by_t.items()}
        elif (
            approval_data is not None and c.get("instrument") == approval_data.rows["instrument"][0]
        ):
            sources[c["id"]] = _township_estimates(approval_data, f"dim:{c['dimension']}", level)
        elif c.get("instrument"):
            sources[c["id"]] = _rater_means(
                table, c["instrument"], audience=c.get("audience"), level=level
            )
        else:
            sources[c["id"]] = {}
        if not sources[c["id"]]:
            absent.append(c["title"])
        townships |= set(sources[c["id"]])
    results = []
    for t in sorted(townships):
        comps = []
        for c in index["components"]:
            if c["title"] in absent:
                continue
            e = sources[c["id"]].get(t)
            if c.get("index"):
                comps.append(_index_mean_component(c, e, len(fortress_by_t.get(t, []))))
            elif (
                approval_data is not None
                and c.get("instrument") == approval_data.rows["instrument"][0]
            ):
                comps.append(_design_component(c, e, math.inf))
            else:
                comps.append(_survey_component(c, e, level))
        results.append(_compose(spec, name, t, "township", None, comps, absent, level))
    return results


# --------------------------------------------------------- 三升两降, ballots, reliability


def _changes(
    table, previous: _Previous, level, rises: list[tuple[str, str, str, Estimate | None]]
) -> list[Change]:
    """County changes of ``rises``: (name, kind, title, current), where kind says how the
    previous wave is estimated: an index's own design, or an instrument's plain mean."""
    out = []
    previous_rows = (_s(table, "period") == "previous").any()
    for name, kind, title, current in rises:
        if kind == "approval":
            data = previous.approval(name)
            p = None if data is None else _county_estimate(data, "composite", level)
        elif kind == "integrity":
            prev = previous.integrity(name, level) if previous_rows else []
            p = next((r.estimate for r in prev if r.level == "county"), None)
        else:
            p = _plain_mean(table, name, level, "previous") if previous_rows else None
        out.append(_change(name, title, "county", current, p))
    return out


def _township_changes(table, spec, previous: _Previous, level, results) -> list[Change]:
    """The 三升 indices measured per township (approval, integrity), wave over wave.

    Each township's previous estimate uses the previous wave's own design (villages as
    strata or clusters, as that wave covered them); the two waves are independent samples.
    """
    out = []
    previous_rows = (_s(table, "period") == "previous").any()
    for name, index in spec["indices"].items():
        kind = _kind(index)
        if kind not in ("approval", "integrity"):
            continue
        now = {r.unit: r.estimate for r in results if r.index == name and r.level == "township"}
        before: dict[str, Estimate] = {}
        if previous_rows and kind == "approval":
            data = previous.approval(name)
            before = {} if data is None else _township_estimates(data, "composite", level)
        elif previous_rows:
            found = previous.integrity(name, level)
            before = {r.unit: r.estimate for r in found if r.level == "township"}
        out += [_change(name, index["title"], t, now[t], before.get(t)) for t in sorted(now)]
    return out


def _change(name, title, unit, c: Estimate | None, p: Estimate | None) -> Change:
    if c is None or p is None:
        return Change(name, title, unit, c, p, None, "无上期数据" if p is None else "无本期数据")
    d = difference(c, p)
    verdict = "升" if d.ci.low > 0 else "降" if d.ci.high < 0 else "持平"
    return Change(name, title, unit, c, p, d, verdict)


@dataclass
class _Previous:
    """The previous wave's citizen data, built once for the county's and the townships'
    changes (its villages and townships are not published again)."""

    table: Mapping[str, np.ndarray]
    spec: Mapping[str, Any]
    population: Sequence[Mapping[str, Any]] | None
    built: dict[str, _CitizenData | None] = field(default_factory=dict)
    integrity_results: dict[tuple[str, float], list[IndexResult]] = field(default_factory=dict)

    def approval(self, name: str) -> _CitizenData | None:
        if name not in self.built:
            index = self.spec["indices"][name]
            self.built[name] = _citizen_data(self.table, index, "previous", self.population)
        return self.built[name]

    def integrity(self, name: str, level: float) -> list[IndexResult]:
        if (name, level) not in self.integrity_results:
            self.integrity_results[(name, level)] = _integrity(
                self.table, self.spec, name, level, period="previous"
            )[0]
        return self.integrity_results[(name, level)]


def _plain_mean(table, instrument: str, level: float, period: str) -> Estimate | None:
    mask = (_s(table, "instrument") == instrument) & (_s(table, "period") == period)
    y = _f(table, "respondent")[mask]
    return _srs(y, level) if np.isfinite(y).sum() >= 2 else None


def _count_changes(counts, level) -> list[CountChange]:
    if not counts:
        return []
    out = []
    totals: dict[tuple[str, str, str], list[float]] = {}
    for row in counts:
        for unit in (str(row.get("township") or row["org"]), "county"):
            key = (str(row["kind"]), unit, str(row["period"]))
            acc = totals.setdefault(key, [0, 0.0])
            acc[0] += int(row["count"])
            acc[1] += float(row["exposure"])
    for kind, unit in sorted({(k, u) for k, u, _ in totals}):
        periods = sorted(p for k, u, p in totals if (k, u) == (kind, unit))
        now = periods[-1]
        k1, e1 = totals[(kind, unit, now)]
        current = poisson_rate(int(k1), e1, confidence_level=level)
        ratio, before = None, None
        if len(periods) > 1:
            before = periods[-2]
            k0, e0 = totals[(kind, unit, before)]
            ratio = rate_ratio(int(k1), e1, int(k0), e0, confidence_level=level)
        out.append(CountChange(kind, unit, now, before, current, ratio))
    return out


def _ballots(table, spec, eligible, level) -> list[BallotTally]:
    out = []
    for rule in spec.get("ballots", {}).values():
        if rule.get("flags") is None or not rule.get("item"):
            continue
        column = f"answer:{rule['item']}"
        if column not in table:
            continue
        mask = (_s(table, "instrument") == rule["instrument"]) & (_s(table, "period") == "current")
        if "self_rating" in table:
            mask &= np.nan_to_num(_f(table, "self_rating")) == 0
        subject = _s(table, "subject")[mask]
        votes = np.asarray(table[column]).astype(str)[mask]
        grades = rule.get("grades") or ["优秀", "称职", "基本称职", "不称职"]
        for s in np.unique(subject):
            if not s or not rule.get("flags"):
                continue
            v = [x or None for x in votes[subject == s].tolist()]
            out.append(
                tally_ballots(
                    str(s),
                    v,
                    grades,
                    eligible=(eligible or {}).get(s),
                    quorum=rule.get("quorum"),
                    flags=rule["flags"],
                    confidence_level=level,
                )
            )
    return out


def _reliability(table, instruments: Sequence[str], level: float) -> list[DimensionReliability]:
    out = []
    current = _s(table, "period") == "current"
    for instrument in instruments:
        mask = current & (_s(table, "instrument") == instrument)
        if mask.sum() < 10:
            continue
        dims: dict[str, list[str]] = {}
        for col in table:
            if col.startswith("item:") and np.isfinite(_f(table, col)[mask]).any():
                dims.setdefault(col[5:].split("/", 1)[0], []).append(col)
        dims = {d: cols for d, cols in dims.items() if len(cols) >= 2}
        columns = {c: _f(table, c)[mask] for cols in dims.values() for c in cols}
        for d, cols in dims.items():
            try:
                alpha = cronbach_alpha(columns, cols, confidence_level=level)
            except ValueError:
                continue
            omega = None
            if len(cols) >= 3:
                # Only omega's point estimate is reported, so no bootstrap interval is drawn.
                try:
                    omega = mcdonald_omega(columns, cols, confidence_level=level, n_boot=0).estimate
                except ValueError:
                    omega = None
            out.append(
                DimensionReliability(
                    instrument,
                    d,
                    alpha.estimate,
                    alpha.ci,
                    omega,
                    alpha.n,
                    alpha.k,
                    alpha.estimate < ALPHA_FLOOR,
                )
            )
    return out


# ----------------------------------------------------------------------------- entry point


def compute_indices(
    table: Mapping[str, np.ndarray],
    spec: Mapping[str, Any],
    *,
    level: str = "county",
    population: Sequence[Mapping[str, Any]] | None = None,
    points: Mapping[str, Mapping[str, float]] | None = None,
    vetoes: Mapping[str, Sequence[str]] | None = None,
    exempt: Mapping[str, Sequence[str]] | None = None,
    counts: Sequence[Mapping[str, Any]] | None = None,
    eligible: Mapping[str, int] | None = None,
    confidence_level: float = 0.95,
    seed: int = 0,
) -> IndicesReport:
    """Every index of ``indices.yaml`` at one level, from a response table.

    Parameters
    ----------
    table : mapping of column to array
        As :mod:`scoring.response_table` describes (``score_rows`` builds it).
    spec : mapping
        The parsed ``indices.yaml`` (raw or normalised).
    level : {"village", "township", "county"}
        ``village`` returns villages' approval and fortress and members' pioneer indices;
        ``township`` townships' approval, service and integrity, their 三升 changes (approval,
        integrity), and cadres' ballots;
        ``county`` the county's approval and integrity, the 三不腐 balance, the quiz,
        三升两降 changes (those indices and each instrument listed under ``rises``), count
        rates and reliability.
    population : sequence of mapping, optional
        ``{"org", "age_group", "sex", "adults"}`` cells for raking citizens' weights.
    points : mapping, optional
        Member -> ``{"bonus", "deductions"}`` raw points; None when the county keeps none.
    vetoes, exempt : mapping, optional
        Unit -> events (一票否决 / 清零) within the look-back window; member -> exemptions.
    counts : sequence of mapping, optional
        ``{"org", "township", "period", "kind", "count", "exposure"}`` admin counts.
    eligible : mapping, optional
        Cadre -> number of eligible voters in their 民主测评.
    confidence_level : float
    seed : int
        Seeds the rank-interval simulation.

    Raises
    ------
    ValueError
        A bad spec (:func:`check_spec`), a table with a missing or unknown column or no
        current responses (:func:`check_table`), or a bad level.
    """
    if level not in LEVELS:
        raise ValueError(f"level ({level!r}) must be one of {', '.join(LEVELS)}")
    return compute_all_levels(
        table,
        spec,
        population=population,
        points=points,
        vetoes=vetoes,
        exempt=exempt,
        counts=counts,
        eligible=eligible,
        confidence_level=confidence_level,
        seed=seed,
    )[level]


def compute_all_levels(
    table: Mapping[str, np.ndarray],
    spec: Mapping[str, Any],
    *,
    population: Sequence[Mapping[str, Any]] | None = None,
    points: Mapping[str, Mapping[str, float]] | None = None,
    vetoes: Mapping[str, Sequence[str]] | None = None,
    exempt: Mapping[str, Sequence[str]] | None = None,
    counts: Sequence[Mapping[str, Any]] | None = None,
    eligible: Mapping[str, int] | None = None,
    confidence_level: float = 0.95,
    seed: int = 0,
) -> dict[str, IndicesReport]:
    """:func:`compute_indices` for village, township and county at once (one pass)."""
    check_spec(spec)
    check_table(table)
    spec = _normalised(spec)
    results: list[IndexResult] = []
    notes: list[str] = []
    kinds = {name: _kind(index) for name, index in spec["indices"].items()}
    approval_data = None
    # (name, how its previous wave is estimated, title, current estimate), in report order.
    rises: list[tuple[str, str, str, Estimate | None]] = []
    balance, quiz = [], []
    pioneers, fortresses = [], []
    for name, kind in kinds.items():
        index = spec["indices"][name]
        if kind == "approval":
            found, approval_data = _approval(table, spec, name, population, confidence_level, seed)
            results += found
            county = next((r.estimate for r in found if r.level == "county"), None)
            rises.append((name, kind, index["title"], county))
            if approval_data is not None:
                notes += approval_data.notes
        elif kind == "integrity":
            found, balance, quiz, _ = _integrity(table, spec, name, confidence_level)
            results += found
            county = next((r.estimate for r in found if r.level == "county"), None)
            rises.append((name, kind, index["title"], county))
    for name, kind in kinds.items():
        if kind == "pioneer":
            pioneers = _pioneer(table, spec, name, points, vetoes, exempt, confidence_level)
            results += _ranked(pioneers, confidence_level, seed)
    for name, kind in kinds.items():
        if kind == "fortress":
            fortresses = _ranked(
                _fortress(table, spec, name, approval_data, pioneers, vetoes, confidence_level),
                confidence_level,
                seed,
            )
            results += fortresses
    for name, kind in kinds.items():
        if kind == "service":
            results += _ranked(
                _service(table, spec, name, approval_data, fortresses, confidence_level),
                confidence_level,
                seed,
            )
    report_level = {
        "member": "village",
        "village": "village",
        "township": "township",
        "county": "county",
    }

    results = [_noting_clipped(r) for r in results]

    def chosen(level: str) -> tuple[IndexResult, ...]:
        return tuple(r for r in results if report_level[r.level] == level)

    all_counts = _count_changes(counts, confidence_level)
    previous = _Previous(table, spec, population)
    for rise in spec.get("rises", []):
        instrument = rise["instrument"]
        current = _plain_mean(table, instrument, confidence_level, "current")
        rises.append((instrument, "instrument", rise["title"], current))
    instruments = sorted(
        {
            c["instrument"]
            for i in spec["indices"].values()
            for c in i["components"]
            if c.get("instrument")
        }
    )
    county = IndicesReport(
        "county",
        chosen("county"),
        balance=tuple(b for b in balance if b.unit == "county"),
        quiz=tuple(q for q in quiz if q.unit == "county"),
        changes=tuple(_changes(table, previous, confidence_level, rises)),
        counts=tuple(c for c in all_counts if c.unit == "county"),
        reliability=tuple(_reliability(table, instruments, confidence_level)),
        notes=tuple(notes),
    )
    township = IndicesReport(
        "township",
        chosen("township"),
        balance=tuple(b for b in balance if b.unit != "county"),
        quiz=tuple(q for q in quiz if q.unit != "county"),
        changes=tuple(_township_changes(table, spec, previous, confidence_level, results)),
        counts=tuple(c for c in all_counts if c.unit != "county"),
        ballots=tuple(_ballots(table, spec, eligible, confidence_level)),
        notes=tuple(notes),
    )
    return {
        "village": IndicesReport("village", chosen("village"), notes=tuple(notes)),
        "township": township,
        "county": county,
    }


def _noting_clipped(r: IndexResult) -> IndexResult:
    if _is_clipped(r.estimate):
        return replace(r, notes=(*r.notes, CLIPPED_NOTE))
    return r


def _kind(index: Mapping[str, Any]) -> str:
    """Which computation an index needs, read from its shape, not its name."""
    comps = index["components"]
    if any(c.get("points") is not None for c in comps):
        return "pioneer"
    if any(c.get("index") for c in comps):
        return "fortress" if index["unit"] == "village" else "service"
    if index["unit"] == "village":
        return "approval"
    return "integrity"


def _normalised(spec: Mapping[str, Any]) -> dict:
    """Fill the few defaults the computation reads (a raw YAML dict lacks them)."""
    out = dict(spec)
    out["indices"] = {}
    for name, index in spec["indices"].items():
        index = dict(index)
        default_min = index.get("min_respondents")
        comps = []
        for c in index["components"]:
            c = dict(c)
            if c.get("instrument") and c.get("min_respondents") is None:
                c["min_respondents"] = default_min
            if c.get("instrument") and c.get("raters") is None:
                c["raters"] = "others"
            comps.append(c)
        index["components"] = comps
        out["indices"][name] = index
    ballots = {}
    for name, rule in spec.get("ballots", {}).items():
        rule = dict(rule)
        rule["flags"] = [
            dict(f, share_at_least=str(Fraction(str(f["share_at_least"]))))
            for f in rule.get("flags", [])
        ]
        if rule.get("quorum") is not None:
            rule["quorum"] = str(Fraction(str(rule["quorum"])))
        ballots[name] = rule
    out["ballots"] = ballots
    # Parsed once: some 10,000 units are graded against the same few band sets.
    out["band_lists"] = {name: bands_from_spec(b) for name, b in spec["bands"].items()}
    return out
