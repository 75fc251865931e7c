"""Estimators: mean, total, proportion, ratio, by domain, and contrasts between them.

Every estimator here is a ratio of two weighted totals (a total has no denominator), so one
path serves all: per-PSU sums of ``w*y`` and ``w*x`` (one ``np.bincount``), the estimate from
their totals, and the variance from the PSUs' totals of the linearised estimator (Taylor) or
from replicate factors applied to the same per-PSU sums.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy import special

from scoring.calibrate import raking_residuals
from scoring.design import (
    ColumnError,
    Design,
    encode_levels,
    numeric_column,
)
from scoring.proportions import METHODS, share_interval
from scoring.results import (
    ConfidenceInterval,
    Estimate,
    ShareEstimate,
    check_confidence_level,
    t_interval,
)
from scoring.variance import (
    VARIANCE_METHODS,
    PsuLayout,
    Replicates,
    replicate_covariance,
    replicates_for,
    taylor_covariance,
)


@dataclass(frozen=True, slots=True)
class PsuSums:
    """Per-PSU (and per-domain) sums: everything the estimators need from the data.

    ``numerator`` and ``denominator`` are PSUs x domains (``denominator`` is None for a
    total). ``n`` is rows used per domain; ``psu_used`` marks PSUs x domains with such a row
    of non-zero weight.
    """

    numerator: np.ndarray
    denominator: np.ndarray | None
    n: np.ndarray
    psu_used: np.ndarray


@dataclass(frozen=True, slots=True)
class DomainEstimates:
    """Estimates for all domains at once, with their joint covariance.

    ``n`` counts the rows used per domain, ``n_psu`` the PSUs holding such a row of non-zero
    weight, ``domain_df`` those PSUs minus their strata. ``sums`` (the per-PSU sums) is None
    when the domains were estimated stratum by stratum (see :func:`_estimate_nested`).
    """

    labels: list[str | None]
    estimate: np.ndarray
    covariance: np.ndarray
    replicate_estimates: np.ndarray | None
    replicates: Replicates | None
    n: np.ndarray
    n_psu: np.ndarray
    domain_df: np.ndarray
    df: int
    sums: PsuSums | None = None
    srs_variance: np.ndarray | None = None

    def deff(self) -> np.ndarray | None:
        if self.srs_variance is None:
            return None
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.diag(self.covariance) / self.srs_variance

    def se(self) -> np.ndarray:
        return np.sqrt(np.maximum(np.diag(self.covariance), 0.0))


def mean(
    design: Design,
    var: str,
    *,
    by: str | None = None,
    confidence_level: float = 0.95,
    variance: str = "taylor",
    replicates: int = 500,
    seed: int | None = None,
) -> Estimate | dict[str, Estimate]:
    """Weighted mean of ``var``, as R's ``svymean(~var, design, na.rm = TRUE)``.

    Rows where ``var`` is empty stay in the design and drop out of the estimate (a domain).

    Parameters
    ----------
    design : Design
    var : str
        Numeric column.
    by : str, optional
        Domain column: one estimate per level, variance on the full design (R's ``svyby``
        or ``subset``). Returns a dict keyed by the level as a string, sorted.
    confidence_level : float
        Of the t interval with the design's degrees of freedom.
    variance : {"taylor", "jk1", "jkn", "bootstrap"}
        Taylor linearisation, delete-one-PSU jackknife (unstratified / stratified), or Rao-Wu
        rescaling bootstrap with ``replicates`` replicates drawn with ``seed``.
    replicates, seed : int
        Only for ``bootstrap``.

    Returns
    -------
    Estimate or dict of str to Estimate

    Raises
    ------
    ValueError
        A missing or non-numeric column, or an unknown option.

    Examples
    --------
    >>> design = Design({"y": [1.0, 2, 3, 4], "w": [1.0, 1, 2, 2]}, weights="w")
    >>> round(mean(design, "y").estimate, 4)
    2.8333
    """
    y = numeric_column(design.columns, var, "var")
    x = np.where(np.isnan(y), np.nan, 1.0)
    options = _Options(confidence_level, variance, replicates, seed)
    return _publish(_estimate(design, y, x, by, options, with_deff=True), options)


def total(
    design: Design,
    var: str,
    *,
    by: str | None = None,
    confidence_level: float = 0.95,
    variance: str = "taylor",
    replicates: int = 500,
    seed: int | None = None,
) -> Estimate | dict[str, Estimate]:
    """Weighted total of ``var``, as R's ``svytotal(~var, design, na.rm = TRUE)``.

    Parameters and returns as :func:`mean`.

    Examples
    --------
    >>> design = Design({"y": [1.0, 2, 3, 4], "w": [1.0, 1, 2, 2]}, weights="w")
    >>> total(design, "y").estimate
    17.0
    """
    y = numeric_column(design.columns, var, "var")
    options = _Options(confidence_level, variance, replicates, seed)
    return _publish(_estimate(design, y, None, by, options), options)


def ratio(
    design: Design,
    var: str,
    denominator: str,
    *,
    by: str | None = None,
    confidence_level: float = 0.95,
    variance: str = "taylor",
    replicates: int = 500,
    seed: int | None = None,
) -> Estimate | dict[str, Estimate]:
    """Ratio of the totals of ``var`` and ``denominator``, as R's ``svyratio``.

    Rows where either column is empty drop out of both totals.

    Examples
    --------
    >>> design = Design({"y": [1.0, 2, 3, 4], "x": [2.0, 2, 2, 2]})
    >>> ratio(design, "y", "x").estimate
    1.25
    """
    y = numeric_column(design.columns, var, "var")
    x = numeric_column(design.columns, denominator, "denominator")
    options = _Options(confidence_level, variance, replicates, seed)
    return _publish(_estimate(design, y, x, by, options), options)


def proportion(
    design: Design,
    var: str,
    *,
    method: str = "logit",
    by: str | None = None,
    confidence_level: float = 0.95,
    variance: str = "taylor",
    replicates: int = 500,
    seed: int | None = None,
) -> ShareEstimate | dict[str, ShareEstimate]:
    """Share of rows with ``var == 1`` (``var`` holds 0/1), as R's ``svyciprop``.

    The estimate and se are R's ``svymean``; the interval is R's
    ``svyciprop(method = method, df = degf(design))`` for ``logit`` (R's default) and
    ``beta`` (Korn-Graubard), and the t interval clipped to [0, 1] for ``wald``. The interval
    always lies in [0, 1]; when the se is 0 (a share of 0 or 1) it is the Clopper-Pearson
    interval for the rows used (see :mod:`scoring.proportions`). With replicate variance the
    logit interval uses the replicates' logits (as R's ``svyglm`` on replicate designs).

    Examples
    --------
    >>> design = Design({"y": [0.0, 1, 1, 0, 1, 1], "v": list("aabbcc")}, clusters="v")
    >>> share = proportion(design, "y", method="beta")
    >>> round(share.estimate, 3), 0 <= share.ci.low <= share.ci.high <= 1
    (0.667, True)
    """
    if method not in METHODS:
        raise ValueError(f"method ({method!r}) must be one of {', '.join(METHODS)}")
    y = numeric_column(design.columns, var, "var")
    not_binary = np.flatnonzero(~np.isnan(y) & (y != 0) & (y != 1))
    if len(not_binary):
        row = int(not_binary[0])
        raise ColumnError(
            f"var: column '{var}' has {y[row]:g} at row {row}; a proportion needs 0/1 values",
            column=var,
            row=row,
        )
    x = np.where(np.isnan(y), np.nan, 1.0)
    options = _Options(confidence_level, variance, replicates, seed)
    domains = _estimate(design, y, x, by, options, with_deff=True)
    # R's nrow() of a raked design's subset counts every row (see ShareEstimate.design_rows).
    rows = design.n_rows if design.is_calibrated else None
    return _publish(domains, options, share_method=method, design_rows=rows)


def contrast(
    design: Design,
    var: str,
    *,
    by: str,
    coefficients: Mapping[str, float],
    statistic: str = "mean",
    denominator: str | None = None,
    confidence_level: float = 0.95,
    variance: str = "taylor",
    replicates: int = 500,
    seed: int | None = None,
) -> Estimate:
    """A linear combination of domain estimates, with their covariance on the full design.

    As R's ``svycontrast(svyby(~var, ~by, design, svymean, covmat = TRUE), coefficients)``.

    Parameters
    ----------
    coefficients : mapping of level to float
        For example ``{"F": 1, "M": -1}``: the difference of the two domains.
    statistic : {"mean", "total", "proportion", "ratio"}
        ``ratio`` needs ``denominator``.

    Returns
    -------
    Estimate
        ``n`` and ``n_psu`` count rows and PSUs of the domains with a non-zero coefficient.

    Examples
    --------
    >>> design = Design({"y": [1.0, 2, 3, 4, 5, 6], "g": list("ababab")})
    >>> round(contrast(design, "y", by="g", coefficients={"b": 1, "a": -1}).estimate, 6)
    1.0
    """
    if statistic not in ("mean", "total", "proportion", "ratio"):
        raise ValueError(f"statistic ({statistic!r}) must be mean, total, proportion or ratio")
    y = numeric_column(design.columns, var, "var")
    if statistic == "ratio":
        if denominator is None:
            raise ValueError("contrast: a ratio needs a denominator column")
        x = numeric_column(design.columns, denominator, "denominator")
    elif statistic == "total":
        x = None
    else:
        x = np.where(np.isnan(y), np.nan, 1.0)
    options = _Options(confidence_level, variance, replicates, seed)
    domains = _estimate(design, y, x, by, options, per_stratum=False)
    unknown = sorted(set(coefficients) - set(domains.labels))
    if unknown:
        raise ValueError(
            f"contrast: column '{by}' has no level {unknown[0]!r} (levels: {domains.labels})"
        )
    c = np.array([float(coefficients.get(label, 0.0)) for label in domains.labels])
    involved = c != 0
    if domains.replicate_estimates is not None:
        cov = replicate_covariance(domains.replicate_estimates[:, involved], domains.replicates)
        var_c = float(c[involved] @ cov @ c[involved])
    else:
        var_c = float(c @ domains.covariance @ c)
    estimate = float(c @ domains.estimate)
    se = math.sqrt(max(var_c, 0.0))
    return Estimate(
        estimate,
        se,
        t_interval(estimate, se, domains.df, options.confidence_level),
        options.confidence_level,
        domains.df,
        int(domains.n[involved].sum()),
        int(domains.sums.psu_used[:, involved].any(axis=1).sum()),
    )


def difference(
    first: Estimate, second: Estimate, confidence_level: float | None = None
) -> Estimate:
    """``first - second`` for estimates from two independent samples (for example two waves).

    The variances add. The degrees of freedom add too: that is R's ``degf`` for the two
    samples stacked as one design with the wave as an extra stratum level.

    Examples
    --------
    >>> a = mean(Design({"y": [1.0, 2, 3, 4]}), "y")
    >>> b = mean(Design({"y": [2.0, 3, 4, 5]}), "y")
    >>> d = difference(b, a)
    >>> d.estimate, d.df
    (1.0, 6)
    """
    level = first.confidence_level if confidence_level is None else confidence_level
    check_confidence_level(level)
    estimate = first.estimate - second.estimate
    se = math.sqrt(first.se**2 + second.se**2)
    df = first.df + second.df
    return Estimate(
        estimate,
        se,
        t_interval(estimate, se, df, level),
        level,
        df,
        first.n + second.n,
        first.n_psu + second.n_psu,
    )


def estimate_from_psu_totals(
    stratum: np.ndarray | None,
    sum_wy: np.ndarray,
    sum_w: np.ndarray,
    n: np.ndarray,
    *,
    statistic: str = "mean",
    sum_wx: np.ndarray | None = None,
    fpc: np.ndarray | None = None,
    lonely_psu: str = "fail",
    method: str = "logit",
    confidence_level: float = 0.95,
    variance: str = "taylor",
    replicates: int = 500,
    seed: int | None = None,
) -> Estimate:
    """The same :class:`Estimate` as from row data, from one row of sums per PSU.

    A web application can compute the inputs with one SQL ``GROUP BY stratum, psu``. For a
    domain, give every PSU of the design, with zero sums (and ``n = 0``) where the domain has
    no rows, so that the variance and degrees of freedom are those of the full design.

    Parameters
    ----------
    stratum : array-like or None
        Stratum label of each PSU; None without strata. (Without clusters, each row is a PSU.)
    sum_wy : array-like
        Per PSU, the sum of ``w*y`` over the rows used.
    sum_w : array-like
        Per PSU, the sum of ``w`` over the rows used (the mean's denominator).
    n : array-like of int
        Per PSU, the number of rows used.
    statistic : {"mean", "total", "proportion", "ratio"}
    sum_wx : array-like, optional
        Per PSU, the sum of ``w*x``: the denominator of a ratio.
    fpc : array-like, optional
        Per PSU, its stratum's population number of PSUs (or sampling fraction if all <= 1).
    lonely_psu, method, confidence_level, variance, replicates, seed
        As for :class:`Design` and :func:`proportion`.

    Notes
    -----
    Degrees of freedom are PSUs minus strata over all PSUs given (R's ``degf`` would skip a
    PSU whose every weight is 0). Raked designs need row data: use :func:`rake`.

    Examples
    --------
    >>> e = estimate_from_psu_totals(["a", "a", "b", "b"], [2.0, 4, 6, 8], [1.0, 2, 2, 2],
    ...                              [1, 2, 2, 2])
    >>> round(e.estimate, 4), e.df, e.n
    (2.8571, 2, 7)
    """
    if statistic not in ("mean", "total", "proportion", "ratio"):
        raise ValueError(f"statistic ({statistic!r}) must be mean, total, proportion or ratio")
    sums = {"sum_wy": sum_wy, "sum_w": sum_w, "n": n}
    if statistic == "ratio":
        if sum_wx is None:
            raise ValueError("sum_wx: a ratio needs the per-PSU sums of w*x")
        sums["sum_wx"] = sum_wx
    if fpc is not None:
        sums["fpc"] = fpc
    if stratum is not None:
        sums["stratum"] = stratum
    design = Design(
        sums,
        weights=None,
        strata=None if stratum is None else "stratum",
        fpc="fpc" if fpc is not None else None,
        lonely_psu=lonely_psu,
    )
    numerator = numeric_column(design.columns, "sum_wy", "sum_wy")
    denominator = (
        None
        if statistic == "total"
        else numeric_column(design.columns, "sum_wx" if statistic == "ratio" else "sum_w", "sum_w")
    )
    rows = numeric_column(design.columns, "n", "n")
    weight = numeric_column(design.columns, "sum_w", "sum_w")
    psu_used = ((rows > 0) & (weight != 0))[:, None]
    totals = PsuSums(
        numerator[:, None],
        None if denominator is None else denominator[:, None],
        np.array([int(rows.sum())]),
        psu_used,
    )
    options = _Options(confidence_level, variance, replicates, seed)
    # Every PSU given is part of the design, even one with no rows in the domain.
    df = design.layout.n_psu - design.layout.n_strata
    domains = _solve(totals, design.layout, [None], df, options, row_level=None)
    share = method if statistic == "proportion" else None
    if share is not None and method not in METHODS:
        raise ValueError(f"method ({method!r}) must be one of {', '.join(METHODS)}")
    return _publish(domains, options, share_method=share)


@dataclass(frozen=True, slots=True)
class _Options:
    confidence_level: float
    variance: str
    replicates: int
    seed: int | None

    def __post_init__(self):
        check_confidence_level(self.confidence_level)
        if self.variance not in VARIANCE_METHODS:
            raise ValueError(
                f"variance ({self.variance!r}) must be one of {', '.join(VARIANCE_METHODS)}"
            )


@dataclass(frozen=True, slots=True)
class _RowLevel:
    """Row data a raked design needs to residualise the influence functions."""

    design: Design
    domain: np.ndarray
    wy: np.ndarray
    wx: np.ndarray | None


def _estimate(
    design: Design,
    y,
    x,
    by: str | None,
    options: _Options,
    with_deff: bool = False,
    per_stratum: bool = True,
) -> DomainEstimates:
    if by is None:
        domain, labels = np.zeros(design.n_rows, dtype=int), [None]
    else:
        if by not in design.columns:
            raise ColumnError(
                f"by: no column '{by}' (columns: {', '.join(design.columns)})", column=by
            )
        domain, labels = encode_levels(design.columns[by])
    used = ~np.isnan(y) & (domain >= 0)
    if x is not None:
        used &= ~np.isnan(x)
    w = np.where(used, design.weights, 0.0)
    wy = np.where(used, w * np.where(used, y, 0.0), 0.0)
    wx = None if x is None else np.where(used, w * np.where(used, x, 0.0), 0.0)
    n_domains = len(labels)
    counted = used & (design.weights != 0)
    stratum_domain = (
        _domain_of_each_stratum(design, domain, n_domains)
        if per_stratum and by is not None and options.variance == "taylor"
        else None
    )
    if stratum_domain is not None:
        domains = _estimate_nested(
            design, labels, np.where(used, domain, 0), used, counted, wy, wx, stratum_domain
        )
    else:
        domains = _estimate_dense(design, labels, domain, used, counted, wy, wx, options)
    if not with_deff:
        return domains
    srs = _srs_variance_of_mean(np.where(used, domain, 0), n_domains, w, wy, y, counted)
    return dataclasses.replace(domains, srs_variance=srs)


def _estimate_dense(design, labels, domain, used, counted, wy, wx, options) -> DomainEstimates:
    """Per-PSU x per-domain sums, and the domains' joint covariance from them."""
    n_domains = len(labels)
    cell = design.psu * n_domains + np.where(used, domain, 0)
    size = design.n_psu * n_domains
    numerator = np.bincount(cell, weights=wy, minlength=size).reshape(design.n_psu, n_domains)
    denominator = (
        None
        if wx is None
        else np.bincount(cell, weights=wx, minlength=size).reshape(design.n_psu, n_domains)
    )
    psu_used = np.bincount(cell, weights=counted, minlength=size).reshape(-1, n_domains) > 0
    n = np.bincount(domain[used], minlength=n_domains)
    sums = PsuSums(numerator, denominator, n, psu_used)
    row_level = (
        _RowLevel(design, np.where(used, domain, 0), wy, wx) if design.is_calibrated else None
    )
    return _solve(sums, design.layout, labels, design.df, options, row_level)


def _domain_of_each_stratum(design: Design, domain: np.ndarray, n_domains: int):
    """The domain of each stratum, when every stratum and every raking level lies within one
    domain (villages within townships, say); else None.

    Then a domain's influence function is zero outside its own strata, even after raking, so
    the domains are independent and each one's variance is its strata's share alone.
    """
    stratum_of_row = design.layout.psu_stratum[design.psu]
    found = _constant_within(stratum_of_row, domain, design.layout.n_strata)
    if found is None:
        return None
    for margin in design.calibration:
        raked = margin.codes >= 0
        n_levels = int(margin.codes.max()) + 1
        if _constant_within(margin.codes[raked], domain[raked], n_levels) is None:
            return None
    return found


def _constant_within(groups: np.ndarray, values: np.ndarray, n_groups: int):
    """Each group's value when ``values`` is constant within every group; else None."""
    value = np.full(n_groups, -1, dtype=np.intp)
    value[groups] = values  # one of each group's values: all of them, if constant
    return value if np.array_equal(value[groups], values) else None


def _estimate_nested(
    design: Design, labels, domain, used, counted, wy, wx, stratum_domain
) -> DomainEstimates:
    """Domain estimates stratum by stratum, for domains made of whole strata.

    The same Taylor variance as the dense path (:func:`_solve`), computed from one influence
    column instead of rows x domains: each row carries only its own domain's influence, and
    the raking residuals and the per-stratum spread are taken on that column. A county's
    villages as 222 domains cost one pass over the rows instead of a rows x 222 matrix.
    Sums run in a different order than in the dense path, so SEs may differ in the last bits.
    """
    n_domains = len(labels)
    top = np.bincount(domain, weights=wy, minlength=n_domains)
    bottom = None if wx is None else np.bincount(domain, weights=wx, minlength=n_domains)
    with np.errstate(divide="ignore", invalid="ignore"):
        if bottom is None:
            estimate, z = top, wy
        else:
            estimate = top / bottom
            z = np.nan_to_num((wy - estimate[domain] * wx) / bottom[domain])
    if design.is_calibrated:
        z = raking_residuals(z[:, None], design.calibration)[:, 0]
    layout = design.layout
    variance_h = _stratum_variances(
        np.bincount(design.psu, weights=z, minlength=layout.n_psu), layout
    )
    inside = stratum_domain >= 0
    variance = np.bincount(stratum_domain[inside], weights=variance_h[inside], minlength=n_domains)
    psu_used = np.bincount(design.psu, weights=counted, minlength=layout.n_psu) > 0
    psu_domain = stratum_domain[layout.psu_stratum]
    n_psu = np.bincount(psu_domain[psu_used], minlength=n_domains)
    strata_used = np.bincount(layout.psu_stratum[psu_used], minlength=layout.n_strata) > 0
    n_strata = np.bincount(stratum_domain[strata_used & inside], minlength=n_domains)
    return DomainEstimates(
        labels,
        estimate,
        np.diag(variance),
        None,
        None,
        np.bincount(domain[used], minlength=n_domains),
        n_psu,
        n_psu - n_strata,
        design.df,
    )


def _stratum_variances(totals: np.ndarray, layout: PsuLayout) -> np.ndarray:
    """Each stratum's share of :func:`taylor_covariance` for one column of PSU totals."""
    h = layout.psu_stratum
    n_h = layout.n_psu_in_stratum
    centred = (
        totals - (np.bincount(h, weights=totals, minlength=layout.n_strata) / np.maximum(n_h, 1))[h]
    )
    lonely = n_h == 1
    if layout.lonely_psu == "adjust":
        centred = np.where(lonely[h], totals, centred)
    scale = layout.fpc_factor * np.where(lonely, 1.0, n_h / np.maximum(n_h - 1, 1))
    scale = np.where(layout.fpc_factor < 1e-7, 0.0, scale)
    return np.bincount(h, weights=scale[h] * centred * centred, minlength=layout.n_strata)


def _srs_variance_of_mean(domain, n_domains, w, wy, y, counted) -> np.ndarray:
    """Variance of a mean under simple random sampling of the same size, as R's deff=TRUE.

    ``svyvar(y) * (N - n) / (N n)`` with ``N`` the domain's weight total and ``n`` its rows of
    non-zero weight.
    """
    sw = np.bincount(domain, weights=w, minlength=n_domains)
    swy = np.bincount(domain, weights=wy, minlength=n_domains)
    swyy = np.bincount(domain, weights=wy * np.where(counted, y, 0.0), minlength=n_domains)
    nobs = np.bincount(domain, weights=counted, minlength=n_domains)
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = (swyy - swy**2 / sw) / sw * nobs / (nobs - 1)
        return spread * (sw - nobs) / (sw * nobs)


def _solve(sums: PsuSums, layout: PsuLayout, labels, df, options: _Options, row_level):
    top = sums.numerator.sum(axis=0)
    bottom = None if sums.denominator is None else sums.denominator.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        estimate = top if bottom is None else top / bottom
    replicate_estimates = reps = None
    if options.variance == "taylor":
        covariance = taylor_covariance(_influence_totals(sums, estimate, bottom, row_level), layout)
    else:
        reps = replicates_for(layout, options.variance, options.replicates, options.seed)
        with np.errstate(divide="ignore", invalid="ignore"):
            replicate_estimates = reps.totals(sums.numerator, layout)
            if sums.denominator is not None:
                replicate_estimates = replicate_estimates / reps.totals(sums.denominator, layout)
        covariance = replicate_covariance(replicate_estimates, reps)
        # A domain missing from some replicates loses only its own replicates, as svyby does.
        for j in range(len(labels)):
            covariance[j, j] = replicate_covariance(replicate_estimates[:, [j]], reps)[0, 0]
    used = sums.psu_used
    strata_used = np.zeros((layout.n_strata, used.shape[1]), dtype=bool)
    np.logical_or.at(strata_used, layout.psu_stratum, used)
    n_psu = used.sum(axis=0)
    return DomainEstimates(
        labels,
        estimate,
        covariance,
        replicate_estimates,
        reps,
        sums.n,
        n_psu,
        n_psu - strata_used.sum(axis=0),
        df,
        sums,
    )


def _influence_totals(sums: PsuSums, estimate, bottom, row_level) -> np.ndarray:
    """Per-PSU totals of each domain estimator's influence function (its linearisation)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if row_level is None:
            if bottom is None:
                return sums.numerator
            z = (sums.numerator - estimate * sums.denominator) / bottom
            return np.nan_to_num(z)
        design = row_level.design
        n_domains = len(estimate)
        z = np.zeros((design.n_rows, n_domains))
        rows = np.arange(design.n_rows)
        d = row_level.domain
        if bottom is None:
            z[rows, d] = row_level.wy
        else:
            z[rows, d] = np.nan_to_num((row_level.wy - estimate[d] * row_level.wx) / bottom[d])
        z = raking_residuals(z, design.calibration)
        return np.bincount(
            (design.psu[:, None] * n_domains + np.arange(n_domains)).ravel(),
            weights=z.ravel(),
            minlength=design.n_psu * n_domains,
        ).reshape(design.n_psu, n_domains)


def _publish(
    domains: DomainEstimates,
    options: _Options,
    share_method: str | None = None,
    design_rows: int | None = None,
):
    se = domains.se()
    n_psu = domains.n_psu
    domain_df = domains.domain_df
    deff = domains.deff()
    logit_se = _logit_se(domains) if share_method else None
    results = {}
    for j, label in enumerate(domains.labels):
        estimate, n = float(domains.estimate[j]), int(domains.n[j])
        common = dict(
            estimate=estimate,
            se=float(se[j]) if n else math.nan,
            confidence_level=options.confidence_level,
            df=domains.df,
            n=n,
            n_psu=int(n_psu[j]),
            deff=None if deff is None or not math.isfinite(deff[j]) else float(deff[j]),
        )
        if share_method:
            rows = n if design_rows is None else design_rows
            low, high = share_interval(
                estimate,
                common["se"],
                domains.df,
                options.confidence_level,
                share_method,
                n=rows,
                logit_se=float(logit_se[j]),
                domain_df=int(domain_df[j]),
            )
            results[label] = ShareEstimate(
                ci=ConfidenceInterval(low, high),
                method=share_method,
                logit_se=float(logit_se[j]),
                domain_df=int(domain_df[j]),
                design_rows=rows,
                **common,
            )
        else:
            ci = t_interval(estimate, common["se"], domains.df, options.confidence_level)
            results[label] = Estimate(ci=ci, **common)
    return results[None] if domains.labels == [None] else results


def _logit_se(domains: DomainEstimates) -> np.ndarray:
    """Standard error of logit(p): from the replicates' logits when there are replicates.

    A replicate share of exactly 0 or 1 has no finite logit (R's ``svyglm`` would report a
    huge, unconverged coefficient instead); the delta method ``se / (p (1 - p))`` on the
    replicate SE then stands in for that domain.
    """
    p = domains.estimate
    with np.errstate(divide="ignore", invalid="ignore"):
        delta = domains.se() / (p * (1 - p))
        if domains.replicate_estimates is None:
            return delta
        logits = special.logit(domains.replicate_estimates)
    result = delta.copy()
    for j in range(len(p)):
        column = logits[:, j]
        if np.isfinite(column[~np.isnan(column)]).all():
            variance = replicate_covariance(column[:, None], domains.replicates)[0, 0]
            result[j] = math.sqrt(max(variance, 0.0))
    return result
