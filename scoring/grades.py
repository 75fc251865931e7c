"""Grade bands (stars, 三色, 优秀/良好/…) given only when a whole interval lies inside one.

A band includes its lower bound and excludes its upper bound, except the top band, which
includes its upper bound too (``indices.yaml``: "80.0 属于从 80 开始的等级"). A unit whose
interval reaches into two or more bands is 待定 (not yet distinguishable), and the result
names the bands it straddles, best first. A unit without a usable interval is never graded.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

PENDING = "待定"
TOO_FEW = "样本不足"
NO_SPREAD = "方差为零"
# Scores are sums of products of decimals; 74.99999999999999 must still reach the band at 75.
BOUNDARY_TOLERANCE = 1e-9


@dataclass(frozen=True, slots=True)
class Band:
    label: str
    low: float
    high: float
    label_en: str | None = None


@dataclass(frozen=True, slots=True)
class Grade:
    """The grade of one unit in one band set.

    Attributes
    ----------
    band_set : str
        Name of the band set in ``indices.yaml`` (``stars``, ``three_colour``).
    label : str
        The band's label when graded; else 待定, 样本不足 or 方差为零.
    is_graded : bool
        True only when the whole interval lies inside one band.
    straddles : tuple of str
        For 待定, the bands the interval reaches, best first.
    reason : str
        Why the unit was not graded, in Chinese, for the report; empty when graded.
    """

    band_set: str
    label: str
    is_graded: bool
    straddles: tuple[str, ...] = ()
    reason: str = ""


def bands_from_spec(band_set: Mapping[str, Any]) -> tuple[Band, ...]:
    """The bands of one parsed ``indices.yaml`` band set, best (highest) first.

    Raises
    ------
    ValueError
        A band with ``min >= max``, or bands that overlap or leave a gap.

    Examples
    --------
    >>> spec = {"grades": [{"label": "低", "min": 0, "max": 60},
    ...                    {"label": "高", "min": 60, "max": 100}]}
    >>> [b.label for b in bands_from_spec(spec)]
    ['高', '低']
    """
    bands = sorted(
        (
            Band(str(g["label"]), float(g["min"]), float(g["max"]), g.get("label_en"))
            for g in band_set["grades"]
        ),
        key=lambda b: b.low,
        reverse=True,
    )
    for band in bands:
        if not band.low < band.high:
            raise ValueError(
                f"band {band.label!r}: min ({band.low:g}) must be below max ({band.high:g})"
            )
    for upper, lower in zip(bands, bands[1:], strict=False):
        if not math.isclose(upper.low, lower.high):
            raise ValueError(
                f"bands {lower.label!r} and {upper.label!r}: {lower.label!r} ends at "
                f"{lower.high:g} but {upper.label!r} starts at {upper.low:g}"
            )
    return tuple(bands)


def band_of(value: float, bands: Sequence[Band]) -> Band | None:
    """The band holding ``value`` (lower bound closed, the top band's upper bound closed too).

    Examples
    --------
    >>> bands = (Band("四星", 80, 90), Band("三星", 70, 80))
    >>> band_of(80.0, bands).label, band_of(79.999, bands).label, band_of(69.0, bands)
    ('四星', '三星', None)
    """
    top = max(bands, key=lambda b: b.high)
    for band in bands:
        if band.low - BOUNDARY_TOLERANCE <= value < band.high - BOUNDARY_TOLERANCE:
            return band
        if band is top and math.isclose(value, band.high, abs_tol=BOUNDARY_TOLERANCE):
            return band
    return None


def grade(
    band_set: str,
    bands: Sequence[Band],
    low: float,
    high: float,
    *,
    zero_spread: bool = False,
) -> Grade:
    """Grade an interval ``[low, high]`` under the rule ``whole_ci_inside_band``.

    Parameters
    ----------
    band_set : str
        Name reported in the result.
    bands : sequence of Band
        From :func:`bands_from_spec`.
    low, high : float
        The interval's ends; NaN (no interval) is never graded.
    zero_spread : bool
        The interval has width 0 because every answer was the same (not because the unit was
        enumerated completely or is a fixed score). Such an interval shows no sampling error
        only because the sample shows no spread; it is not certainty, so no grade is given.

    Examples
    --------
    >>> bands = (Band("五星", 90, 100), Band("四星", 80, 90), Band("三星", 70, 80))
    >>> grade("stars", bands, 81.0, 88.5).label
    '四星'
    >>> g = grade("stars", bands, 76.0, 91.0)
    >>> g.label, g.straddles
    ('待定', ('五星', '四星', '三星'))
    """
    if zero_spread:
        return Grade(band_set, NO_SPREAD, False, reason="所有回答相同，无法估计抽样误差，不定级")
    if not (math.isfinite(low) and math.isfinite(high)):
        return Grade(band_set, PENDING, False, reason="无法计算置信区间，不定级")
    bottom, top = band_of(low, bands), band_of(high, bands)
    if bottom is None or top is None:
        return Grade(band_set, PENDING, False, reason="置信区间超出等级范围")
    if bottom is top:
        return Grade(band_set, top.label, True)
    straddled = tuple(b.label for b in bands if b.low <= top.low and b.high >= bottom.high)
    return Grade(band_set, PENDING, False, straddles=straddled, reason="置信区间跨越多个等级")


def not_graded(band_set: str, label: str, reason: str) -> Grade:
    """A unit that gets no grade at all (样本不足, a missing component): says why."""
    return Grade(band_set, label, False, reason=reason)


def capped(result: Grade, bands: Sequence[Band], max_label: str) -> Grade:
    """Apply a cap such as "at most 二星": a grade above ``max_label`` comes down to it."""
    order = [b.label for b in bands]
    if max_label not in order:
        raise ValueError(f"cap: no band {max_label!r} (bands: {order})")
    if result.is_graded and order.index(result.label) < order.index(max_label):
        return Grade(result.band_set, max_label, True, reason=f"封顶：最多评{max_label}")
    if not result.is_graded and result.straddles:
        allowed = tuple(s for s in result.straddles if order.index(s) >= order.index(max_label))
        if len(allowed) == 1:
            return Grade(result.band_set, allowed[0], True, reason=f"封顶：最多评{max_label}")
        return Grade(result.band_set, PENDING, False, allowed, result.reason)
    return result


def lowest(band_set: str, bands: Sequence[Band], reason: str) -> Grade:
    """The lowest band, as a veto (一票否决) imposes it."""
    return Grade(band_set, bands[-1].label, True, reason=reason)
