"""Confidence intervals for a proportion, as R's ``svyciprop``.

Every interval lies in [0, 1]. When the standard error is exactly 0 (a share of 0 or 1, or
every PSU alike) the design says nothing about uncertainty, and a zero-width interval would
read as certainty. Every method then returns the Clopper-Pearson (exact binomial) interval
that treats the ``n`` rows used as a simple random sample: for a share of 0 that is
``[0, 1 - (alpha/2) ** (1/n)]``, for a share of 1 ``[(alpha/2) ** (1/n), 1]``.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special, stats

METHODS = ("wald", "logit", "beta")


def share_interval(
    p: float,
    se: float,
    df: int,
    confidence_level: float,
    method: str,
    *,
    n: int,
    logit_se: float = math.nan,
    domain_df: int | None = None,
) -> tuple[float, float]:
    """Interval for a proportion ``p`` with standard error ``se``.

    Parameters
    ----------
    p, se : float
        The estimated share and its design-based standard error.
    df : int
        Design degrees of freedom for the t quantiles (R's ``df = degf(design)``).
    confidence_level : float
        For example 0.95.
    method : {"wald", "logit", "beta"}
        ``wald``: ``p ± t·se`` clipped to [0, 1]. ``logit``: R's ``svyciprop(method="logit")``,
        a t interval for ``logit(p)`` (standard error ``logit_se``, by default the delta
        method's ``se / (p (1 - p))``, which is exactly what R's ``svyglm`` gives), mapped
        back. ``beta``: R's Korn-Graubard ``svyciprop(method="beta")``: Clopper-Pearson with
        the effective sample size ``p (1 - p) / se**2``, times
        ``(t(alpha/2, n - 1) / t(alpha/2, domain_df))**2``.
    n : int
        Rows used (R's ``nrow(design)`` for the beta method's adjustment).
    logit_se : float, optional
        Standard error of ``logit(p)`` when the variance came from replicates.
    domain_df : int, optional
        Degrees of freedom of the domain (R's ``degf()`` of the subset design); ``df`` if None.

    Returns
    -------
    (low, high) : tuple of float

    Examples
    --------
    >>> low, high = share_interval(0.2, 0.04, 30, 0.95, "logit", n=100)
    >>> 0 < low < 0.2 < high < 1
    True
    """
    if method not in METHODS:
        raise ValueError(f"method ({method!r}) must be one of {', '.join(METHODS)}")
    if not (math.isfinite(p) and math.isfinite(se)) or df < 1 or n < 1:
        return math.nan, math.nan
    alpha = 1 - confidence_level
    if se == 0:
        return _clopper_pearson(p * n, n, alpha)
    low, high = _interval(p, se, df, alpha, method, n, logit_se, domain_df)
    # Transforming back and forth can move an end past p by a rounding error.
    return min(low, p), max(high, p)


def _interval(p, se, df, alpha, method, n, logit_se, domain_df):
    if method == "wald":
        half = stats.t.ppf(1 - alpha / 2, df) * se
        return max(p - half, 0.0), min(p + half, 1.0)
    if method == "logit":
        if not math.isfinite(logit_se):
            logit_se = se / (p * (1 - p))
        half = stats.t.ppf(1 - alpha / 2, df) * logit_se
        centre = special.logit(p)
        return float(special.expit(centre - half)), float(special.expit(centre + half))
    return _korn_graubard(p, se, n, df if domain_df is None else domain_df, alpha)


def _korn_graubard(p: float, se: float, n: int, domain_df: int, alpha: float):
    if n < 2 or domain_df < 1:
        return math.nan, math.nan
    n_eff = p * (1 - p) / se**2
    n_eff *= (stats.t.ppf(alpha / 2, n - 1) / stats.t.ppf(alpha / 2, domain_df)) ** 2
    return _beta_ends(n_eff * p, n_eff, alpha)


def _clopper_pearson(x: float, n: int, alpha: float):
    return _beta_ends(x, float(n), alpha)


def _beta_ends(x: float, n: float, alpha: float):
    # At x = 0 (or x = n) one beta parameter is 0 and the quantile is the point mass at the
    # end of [0, 1]; scipy returns NaN there, so the end is set explicitly.
    low = 0.0 if x <= 0 else float(stats.beta.ppf(alpha / 2, x, n - x + 1))
    high = 1.0 if x >= n else float(stats.beta.ppf(1 - alpha / 2, x + 1, n - x))
    return float(np.clip(low, 0, 1)), float(np.clip(high, 0, 1))
