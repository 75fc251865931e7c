"""Result objects: small frozen dataclasses, as scipy.stats returns them."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

from scipy import stats

from scoring.proportions import share_interval


@dataclass(frozen=True, slots=True)
class ConfidenceInterval:
    """A two-sided confidence interval."""

    low: float
    high: float


def check_confidence_level(confidence_level: float) -> float:
    if not 0 < confidence_level < 1:
        raise ValueError(f"confidence_level ({confidence_level}) must be between 0 and 1")
    return float(confidence_level)


@functools.lru_cache(maxsize=4096)
def t_quantile(df: float, confidence_level: float) -> float:
    """The two-sided t quantile, computed once per (df, level): SciPy's ``t.ppf`` takes
    about 0.1 ms, and a county's indices ask for a few thousand intervals."""
    return float(stats.t.ppf(1 - (1 - confidence_level) / 2, df))


def t_interval(estimate: float, se: float, df: int, confidence_level: float) -> ConfidenceInterval:
    """``estimate ± t(df)·se``, as R's ``confint(x, df = degf(design))``.

    With ``df < 1`` the design cannot measure its own variance and both ends are NaN.
    """
    check_confidence_level(confidence_level)
    if df < 1 or not math.isfinite(se):
        return ConfidenceInterval(math.nan, math.nan)
    half = t_quantile(df, confidence_level) * se
    return ConfidenceInterval(float(estimate - half), float(estimate + half))


@dataclass(frozen=True, slots=True)
class Estimate:
    """A design-based estimate with its standard error and interval.

    Attributes
    ----------
    estimate, se : float
        The point estimate and its standard error.
    ci : ConfidenceInterval
        The interval at ``confidence_level``.
    df : int
        Design degrees of freedom, PSUs minus strata (R's ``degf``), used for every interval.
    n : int
        Rows that entered the estimate (unweighted).
    n_psu : int
        PSUs holding at least one of those rows.
    deff : float or None
        Design effect, when computed.

    Notes
    -----
    An ``se`` of exactly 0 (every answer identical, or a census) is kept as 0, but it is not
    certainty: it only says the design cannot see any spread. ``has_zero_se`` flags it, so that
    a report can label the number instead of printing a zero-width interval.
    """

    estimate: float
    se: float
    ci: ConfidenceInterval
    confidence_level: float
    df: int
    n: int
    n_psu: int
    deff: float | None = None

    @property
    def has_zero_se(self) -> bool:
        """True when the standard error is exactly 0 (see Notes)."""
        return self.se == 0

    def confidence_interval(self, confidence_level: float = 0.95) -> ConfidenceInterval:
        """The interval at another confidence level, from the stored estimate, se and df."""
        return t_interval(self.estimate, self.se, self.df, confidence_level)


@dataclass(frozen=True, slots=True)
class ShareEstimate(Estimate):
    """An estimated proportion; its interval follows ``method`` (``wald``, ``logit``, ``beta``).

    Attributes
    ----------
    method : str
        How the interval was made, as R's ``svyciprop(method = ...)``; ``wald`` is the t
        interval clipped to [0, 1].
    logit_se : float
        Standard error on the logit scale (from the replicates when the variance is
        replicate-based, else ``se / (p (1 - p))``).
    domain_df : int
        PSUs minus strata among the PSUs holding the rows used: R's ``degf()`` of the subset,
        which the ``beta`` method uses for its effective sample size.
    design_rows : int
        R's ``nrow(design)`` in that adjustment: the rows used, except that a raked design's
        subset keeps all its rows in R (with zero weight outside the domain), so there it is
        every row of the design. Kept so the interval matches R's exactly.
    """

    method: str = "logit"
    logit_se: float = math.nan
    domain_df: int = 0
    design_rows: int = 0

    def confidence_interval(self, confidence_level: float = 0.95) -> ConfidenceInterval:
        low, high = share_interval(
            self.estimate,
            self.se,
            self.df,
            check_confidence_level(confidence_level),
            self.method,
            n=self.design_rows,
            logit_se=self.logit_se,
            domain_df=self.domain_df,
        )
        return ConfidenceInterval(low, high)
