"""Counts per exposure (违纪违法增量, 信访): exact Poisson rates and rate ratios.

A count of events in a population is not a sample mean: its interval is Garwood's exact
Poisson interval, and the change between two periods is the rate ratio with the exact
interval from the conditional binomial (given ``k1 + k2`` events, ``k1`` is binomial with
``p = E1 r / (E1 r + E2)``; Clopper-Pearson on ``p`` gives the ratio ``r``). A change from 0
to 1 is not "+∞ %": the ratio's upper end is infinite and says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import stats

from scoring.results import ConfidenceInterval, check_confidence_level

PER = 1000.0


@dataclass(frozen=True, slots=True)
class Rate:
    """Events per ``per`` of exposure, with Garwood's exact interval."""

    count: int
    exposure: float
    rate: float
    ci: ConfidenceInterval
    confidence_level: float
    per: float = PER


@dataclass(frozen=True, slots=True)
class RateRatio:
    """``rate(later) / rate(earlier)`` with the exact conditional-binomial interval.

    ``verdict`` is 降 when the whole interval lies below 1, 升 when above, else 持平.
    """

    later: Rate
    earlier: Rate
    ratio: float
    ci: ConfidenceInterval
    confidence_level: float
    verdict: str


def _check_count(count: int, exposure: float, what: str) -> None:
    if isinstance(count, bool) or int(count) != count or count < 0:
        raise ValueError(f"{what}: count ({count!r}) must be a whole number >= 0")
    if not exposure > 0:
        raise ValueError(f"{what}: exposure ({exposure!r}) must be > 0")


def poisson_rate(
    count: int, exposure: float, *, per: float = PER, confidence_level: float = 0.95
) -> Rate:
    """Rate per ``per`` with Garwood's exact interval (R's ``poisson.test(count, exposure)``).

    Examples
    --------
    >>> r = poisson_rate(0, 2000)
    >>> r.rate, r.ci.low, round(r.ci.high, 3)
    (0.0, 0.0, 1.844)
    """
    _check_count(count, exposure, "poisson_rate")
    alpha = 1 - check_confidence_level(confidence_level)
    low = 0.0 if count == 0 else stats.chi2.ppf(alpha / 2, 2 * count) / 2
    high = stats.chi2.ppf(1 - alpha / 2, 2 * count + 2) / 2
    scale = per / exposure
    return Rate(
        int(count),
        float(exposure),
        count * scale,
        ConfidenceInterval(float(low * scale), float(high * scale)),
        confidence_level,
        per,
    )


def rate_ratio(
    later_count: int,
    later_exposure: float,
    earlier_count: int,
    earlier_exposure: float,
    *,
    per: float = PER,
    confidence_level: float = 0.95,
) -> RateRatio:
    """Ratio of two Poisson rates with its exact interval (R's ``poisson.test(c(k1, k2),
    c(E1, E2))``).

    Examples
    --------
    >>> rr = rate_ratio(10, 1000, 20, 1000)
    >>> rr.ratio, rr.verdict
    (0.5, '持平')
    >>> rate_ratio(1, 1000, 0, 1000).ci.high
    inf
    """
    level = check_confidence_level(confidence_level)
    later = poisson_rate(later_count, later_exposure, per=per, confidence_level=level)
    earlier = poisson_rate(earlier_count, earlier_exposure, per=per, confidence_level=level)
    k1, k2 = int(later_count), int(earlier_count)
    scale = earlier_exposure / later_exposure
    ratio = (k1 / later_exposure) / (k2 / earlier_exposure) if k2 else math.inf if k1 else math.nan
    if k1 + k2 == 0:
        ci = ConfidenceInterval(0.0, math.inf)
    else:
        alpha = 1 - level
        n = k1 + k2
        p_low = 0.0 if k1 == 0 else stats.beta.ppf(alpha / 2, k1, n - k1 + 1)
        p_high = 1.0 if k1 == n else stats.beta.ppf(1 - alpha / 2, k1 + 1, n - k1)
        ci = ConfidenceInterval(
            float(p_low / (1 - p_low) * scale),
            math.inf if p_high == 1 else float(p_high / (1 - p_high) * scale),
        )
    verdict = "降" if ci.high < 1 else "升" if ci.low > 1 else "持平"
    return RateRatio(later, earlier, float(ratio), ci, level, verdict)
