"""Internal consistency of a dimension's items: Cronbach's alpha and McDonald's omega.

Both work from the items' covariance matrix. By default it is pairwise complete, as
``psych::alpha`` and ``psych::omega`` compute it (``cov(x, use = "pairwise")``): each
covariance uses every respondent who answered both items, so a skipped item costs one pair,
not the whole respondent. ``missing="complete"`` keeps only respondents who answered every
item (R's ``use = "complete.obs"``).

Respondents are unweighted here: reliability describes the instrument in the sample that
answered it, not a population quantity, and R's reliability functions take no weights.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy import optimize, stats

from scoring.results import ConfidenceInterval, check_confidence_level

__all__ = [
    "Alpha",
    "Omega",
    "Reliability",
    "cronbach_alpha",
    "mcdonald_omega",
    "reliability",
]

Missing = Literal["pairwise", "complete"]

# factanal()'s bounds on a uniqueness: a Heywood case stops at 0.005 instead of going to 0
# (or below), where the likelihood has no maximum.
_UNIQUENESS_BOUNDS = (0.005, 1.0)


@dataclass(frozen=True, slots=True)
class Alpha:
    """Cronbach's alpha with its Feldt confidence interval.

    ``n`` is the number of respondents behind the interval: with pairwise-complete
    covariances, the fewest respondents who answered any one pair of the items (with
    complete data, everyone). ``psych::alpha`` uses all rows instead, which makes its
    interval a little too narrow when answers are missing.
    """

    estimate: float
    ci: ConfidenceInterval
    confidence_level: float
    n: int
    k: int
    items: tuple[str, ...]
    missing: Missing

    def confidence_interval(self, confidence_level: float) -> ConfidenceInterval:
        """Feldt interval for alpha at another confidence level."""
        return _feldt_interval(self.estimate, self.n, self.k, confidence_level)


@dataclass(frozen=True, slots=True)
class Omega:
    """McDonald's omega (total) of the unit-weighted sum, from a one-factor model.

    ``loadings`` and ``uniquenesses`` are standardised (for the items' correlation matrix,
    as ``factanal`` prints them). ``ci`` is a percentile bootstrap interval from ``n_boot``
    resamples of respondents; resamples whose covariance matrix is singular are left out
    and ``n_boot`` counts only those used (0, with a NaN ``ci``, when none was asked for).
    """

    estimate: float
    ci: ConfidenceInterval
    confidence_level: float
    n: int
    k: int
    items: tuple[str, ...]
    missing: Missing
    loadings: tuple[float, ...]
    uniquenesses: tuple[float, ...]
    n_boot: int


@dataclass(frozen=True, slots=True)
class Reliability:
    """Alpha and omega of one dimension; ``omega`` is None for two items, which a
    one-factor model cannot identify."""

    dimension: str
    alpha: Alpha
    omega: Omega | None


def cronbach_alpha(
    columns: Mapping[str, ArrayLike],
    items: Sequence[str],
    *,
    confidence_level: float = 0.95,
    missing: Missing = "pairwise",
) -> Alpha:
    """Cronbach's alpha of the items' unweighted sum, with the Feldt interval.

    ``alpha = k / (k - 1) * (1 - trace(C) / sum(C))`` for the items' covariance matrix ``C``.
    The interval is Feldt's (1965; Feldt, Woodruff & Salih 1987):
    ``(1 - alpha) / (1 - alpha_hat)`` follows F with ``n - 1`` and ``(n - 1)(k - 1)``
    degrees of freedom. Mirrors ``psych::alpha(x)`` (its ``raw_alpha`` and "Feldt"
    boundaries) and ``MBESS::ci.reliability(x, type = "alpha", interval.type = "feldt")``.

    Parameters
    ----------
    columns : mapping of str to array_like
        Item answers by column name; missing answers are NaN.
    items : sequence of str
        The columns that form the scale, at least two.
    confidence_level : float, default 0.95
        Confidence level of ``ci``, strictly between 0 and 1.
    missing : {"pairwise", "complete"}, default "pairwise"
        Pairwise-complete covariances, or only respondents who answered every item.

    Returns
    -------
    Alpha
        ``estimate``, ``ci``, ``confidence_level``, ``n``, ``k``, ``items``, ``missing``.

    Raises
    ------
    ValueError
        Fewer than two items, an unknown or repeated column, columns of different lengths,
        infinite values, fewer than three respondents behind a covariance, or a total score
        with zero variance.
    TypeError
        ``items`` is a single string, or a column is not numeric.

    Examples
    --------
    >>> import numpy as np
    >>> from scoring.reliability import cronbach_alpha
    >>> columns = {"q1": np.array([1, 2, 3, 4, 5.]), "q2": np.array([2, 2, 3, 5, 5.]),
    ...            "q3": np.array([1, 3, 3, 4, 4.])}
    >>> result = cronbach_alpha(columns, ["q1", "q2", "q3"])
    >>> round(result.estimate, 4), result.n, result.k
    (0.9538, 5, 3)
    >>> round(result.ci.low, 3), round(result.ci.high, 3)
    (0.766, 0.995)
    """
    check_confidence_level(confidence_level)
    names, x = _item_matrix(columns, items, minimum=2, purpose="alpha")
    covariance, n = _covariance(x, names, missing)
    estimate = _alpha_from_covariance(covariance, names)
    return Alpha(
        estimate=estimate,
        ci=_feldt_interval(estimate, n, len(names), confidence_level),
        confidence_level=confidence_level,
        n=n,
        k=len(names),
        items=names,
        missing=missing,
    )


def mcdonald_omega(
    columns: Mapping[str, ArrayLike],
    items: Sequence[str],
    *,
    confidence_level: float = 0.95,
    missing: Missing = "pairwise",
    n_boot: int = 1000,
    rng: np.random.Generator | int | None = None,
) -> Omega:
    """McDonald's omega (total) of the items' unweighted sum, from a one-factor model.

    The one-factor model is fitted by maximum likelihood to the items' correlation matrix
    exactly as R's ``factanal(covmat = R, factors = 1)`` does: the likelihood is maximised
    over the uniquenesses (bounded to [0.005, 1]) with the loadings given in closed form by
    the leading eigenvector of ``Psi^-1/2 R Psi^-1/2``. Loadings and uniquenesses are then
    put back on the items' own scale, and
    ``omega = (sum lambda)^2 / ((sum lambda)^2 + sum psi)``, the share of the sum score's
    model variance that is common. Maximum likelihood is scale-free, so this equals the
    omega of a one-factor CFA on the covariance matrix: lavaan's ``cfa()`` with
    ``semTools::compRelSEM()``, or ``MBESS::ci.reliability(type = "omega")``. The interval
    is a percentile bootstrap over respondents, as MBESS's ``interval.type = "perc"``.
    ``psych::omega(x, nfactors = 1)`` reports the same quantity for standardised items.

    Parameters
    ----------
    columns : mapping of str to array_like
        Item answers by column name; missing answers are NaN.
    items : sequence of str
        The columns that form the scale, at least three.
    confidence_level : float, default 0.95
        Confidence level of ``ci``, strictly between 0 and 1.
    missing : {"pairwise", "complete"}, default "pairwise"
        Pairwise-complete covariances, or only respondents who answered every item.
    n_boot : int, default 1000
        Bootstrap resamples for ``ci``; 0 skips the bootstrap (``ci`` is then NaN to NaN),
        for callers that report only the estimate: the bootstrap refits the model
        ``n_boot`` times and is nearly all of the cost.
    rng : numpy.random.Generator, int or None
        Source of the resamples; an int seeds a new generator.

    Returns
    -------
    Omega
        ``estimate``, ``ci``, ``confidence_level``, ``n``, ``k``, ``items``, ``missing``,
        ``loadings``, ``uniquenesses`` and ``n_boot``.

    Raises
    ------
    ValueError
        Fewer than three items, an unknown or repeated column, columns of different lengths,
        infinite values, fewer than three respondents behind a covariance, an item with zero
        variance, a covariance matrix that is not positive definite, or ``n_boot`` < 0.
    TypeError
        ``items`` is a single string, or a column is not numeric.

    Examples
    --------
    >>> import numpy as np
    >>> from scoring.reliability import mcdonald_omega
    >>> generator = np.random.default_rng(1)
    >>> factor = generator.normal(size=500)
    >>> columns = {f"q{i}": factor + generator.normal(size=500) for i in range(1, 5)}
    >>> result = mcdonald_omega(columns, ["q1", "q2", "q3", "q4"], n_boot=200, rng=2)
    >>> round(result.estimate, 2), result.k, result.n_boot
    (0.77, 4, 200)
    >>> result.ci.low < result.estimate < result.ci.high
    True
    """
    check_confidence_level(confidence_level)
    if isinstance(n_boot, bool) or not isinstance(n_boot, int | np.integer) or n_boot < 0:
        raise ValueError(f"n_boot ({n_boot!r}) must be a whole number of at least 0")
    names, x = _item_matrix(columns, items, minimum=3, purpose="omega")
    covariance, n = _covariance(x, names, missing)
    _check_positive_definite(covariance, names)
    estimate, loadings, uniquenesses = _fit_one_factor(covariance)
    low = high = math.nan
    replicates = np.empty(0)
    if n_boot:
        replicates = _bootstrap_omega(x, missing, n_boot, np.random.default_rng(rng))
        tail = (1 - confidence_level) / 2
        low, high = np.quantile(replicates, [tail, 1 - tail])
    return Omega(
        estimate=estimate,
        ci=ConfidenceInterval(float(low), float(high)),
        confidence_level=confidence_level,
        n=n,
        k=len(names),
        items=names,
        missing=missing,
        loadings=tuple(float(v) for v in loadings),
        uniquenesses=tuple(float(v) for v in uniquenesses),
        n_boot=int(replicates.size),
    )


def reliability(
    columns: Mapping[str, ArrayLike],
    dimensions: Mapping[str, Sequence[str]],
    *,
    confidence_level: float = 0.95,
    missing: Missing = "pairwise",
    n_boot: int = 1000,
    rng: np.random.Generator | int | None = None,
) -> dict[str, Reliability]:
    """Alpha and omega for each dimension's items.

    Parameters
    ----------
    columns : mapping of str to array_like
        Item answers by column name; missing answers are NaN.
    dimensions : mapping of str to sequence of str
        Dimension name to the columns of its items (as ``indices.yaml`` groups them).
    confidence_level, missing
        As for :func:`cronbach_alpha`.
    n_boot, rng
        As for :func:`mcdonald_omega`; one generator serves all dimensions in order.

    Returns
    -------
    dict of str to Reliability
        In the order of ``dimensions``; ``omega`` is None for a two-item dimension.

    Raises
    ------
    ValueError
        As :func:`cronbach_alpha` and :func:`mcdonald_omega`, with the dimension named.

    Examples
    --------
    >>> import numpy as np
    >>> from scoring.reliability import reliability
    >>> generator = np.random.default_rng(3)
    >>> trust, voice = generator.normal(size=(2, 300))
    >>> columns = {f"t{i}": trust + generator.normal(size=300) for i in range(3)}
    >>> columns |= {f"v{i}": voice + generator.normal(size=300) for i in range(2)}
    >>> result = reliability(columns, {"trust": ["t0", "t1", "t2"], "voice": ["v0", "v1"]},
    ...                      n_boot=100, rng=4)
    >>> [round(r.alpha.estimate, 2) for r in result.values()], result["voice"].omega
    ([0.78, 0.65], None)
    """
    generator = np.random.default_rng(rng)
    results = {}
    for dimension, items in dimensions.items():
        try:
            alpha = cronbach_alpha(
                columns, items, confidence_level=confidence_level, missing=missing
            )
            omega = None
            if len(items) >= 3:
                omega = mcdonald_omega(
                    columns,
                    items,
                    confidence_level=confidence_level,
                    missing=missing,
                    n_boot=n_boot,
                    rng=generator,
                )
        except ValueError as error:
            raise ValueError(f"dimension {dimension!r}: {error}") from error
        results[dimension] = Reliability(dimension, alpha, omega)
    return results


def _item_matrix(
    columns: Mapping[str, ArrayLike], items: Sequence[str], *, minimum: int, purpose: str
) -> tuple[tuple[str, ...], np.ndarray]:
    """The items as an n-by-k float matrix, NaN where unanswered, after checking them."""
    if isinstance(items, str):
        raise TypeError(f"items must be a sequence of column names, not the string {items!r}")
    names = tuple(items)
    if len(names) < minimum:
        raise ValueError(
            f"items: got {len(names)} ({', '.join(map(repr, names)) or 'none'}); "
            f"{purpose} needs at least {minimum} items"
        )
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"items: {', '.join(map(repr, repeated))} listed more than once")
    arrays = [_item_column(columns, name) for name in names]
    lengths = {name: a.size for name, a in zip(names, arrays, strict=True)}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"items: columns have different lengths {lengths}")
    return names, np.column_stack(arrays)


def _item_column(columns: Mapping[str, ArrayLike], name: str) -> np.ndarray:
    if name not in columns:
        raise ValueError(f"items: column {name!r} is not in columns ({', '.join(columns)})")
    raw = np.asarray(columns[name])
    if raw.ndim != 1:
        raise ValueError(f"items: column {name!r} has shape {raw.shape}; expected 1-D")
    if raw.dtype.kind not in "biuf":
        raise TypeError(f"items: column {name!r} has dtype {raw.dtype}; answers must be numbers")
    values = raw.astype(float)
    infinite = np.flatnonzero(np.isinf(values))
    if infinite.size:
        raise ValueError(
            f"items: column {name!r} has {infinite.size} infinite values (first at row "
            f"{infinite[0]}); use NaN for a missing answer"
        )
    return values


def _covariance(x: np.ndarray, names: tuple[str, ...], missing: Missing) -> tuple[np.ndarray, int]:
    """Covariance matrix of the items and the fewest respondents behind any entry."""
    if missing == "complete":
        complete = x[~np.isnan(x).any(axis=1)]
        if complete.shape[0] < 3:
            raise ValueError(
                f"items: only {complete.shape[0]} respondents answered every item "
                f"({', '.join(map(repr, names))}); missing='complete' needs at least 3"
            )
        return np.cov(complete, rowvar=False), complete.shape[0]
    if missing != "pairwise":
        raise ValueError(f"missing ({missing!r}) must be 'pairwise' or 'complete'")
    covariance, counts = _pairwise_covariance(x, np.ones(x.shape[0]))
    i, j = np.unravel_index(np.argmin(counts), counts.shape)
    if counts[i, j] < 3:
        pair = f"{names[i]!r}" if i == j else f"both {names[i]!r} and {names[j]!r}"
        raise ValueError(
            f"items: only {int(counts[i, j])} respondents answered {pair}; "
            "a covariance needs at least 3"
        )
    return covariance, int(counts[i, j])


def _pairwise_covariance(x: np.ndarray, frequency: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairwise-complete covariances (n - 1 divisor) with each row counted ``frequency`` times.

    Every sum is a matrix product over rows, so the cost is one pass whatever the pattern of
    missing answers; ``frequency`` lets a bootstrap resample reuse it without copying rows.
    """
    answered = (~np.isnan(x)).astype(float)
    filled = np.where(answered > 0, x, 0.0)
    weighted = filled * frequency[:, None]
    counts = (answered * frequency[:, None]).T @ answered
    # sums[i, j]: total of item i over the respondents who answered item j too.
    sums = weighted.T @ answered
    products = weighted.T @ filled
    with np.errstate(divide="ignore", invalid="ignore"):
        covariance = (products - sums * sums.T / counts) / (counts - 1)
    return covariance, counts


def _alpha_from_covariance(covariance: np.ndarray, names: tuple[str, ...]) -> float:
    k = covariance.shape[0]
    item_variance = np.trace(covariance)
    total_variance = covariance.sum()
    # Rounding leaves a tiny non-zero total when items cancel exactly (q and -q), so zero is
    # judged relative to the items' own variance.
    if not total_variance > 1e-12 * max(item_variance, np.finfo(float).tiny):
        raise ValueError(
            f"items: the total of {', '.join(map(repr, names))} has zero variance "
            f"({total_variance:.3g}); alpha is undefined"
        )
    return float(k / (k - 1) * (1 - item_variance / total_variance))


def _feldt_interval(estimate: float, n: int, k: int, confidence_level: float) -> ConfidenceInterval:
    check_confidence_level(confidence_level)
    tail = (1 - confidence_level) / 2
    f = stats.f(n - 1, (n - 1) * (k - 1))
    return ConfidenceInterval(
        float(1 - (1 - estimate) * f.ppf(1 - tail)), float(1 - (1 - estimate) * f.ppf(tail))
    )


def _check_positive_definite(covariance: np.ndarray, names: tuple[str, ...]) -> None:
    variance = np.diag(covariance)
    flat = np.flatnonzero(~(variance > 0))
    if flat.size:
        raise ValueError(
            f"items: {', '.join(repr(names[i]) for i in flat)} has zero variance; "
            "omega needs every item to vary"
        )
    if np.linalg.eigvalsh(_correlation(covariance))[0] <= 1e-10:
        raise ValueError(
            f"items: the covariance matrix of {', '.join(map(repr, names))} is not positive "
            "definite (an item is a combination of others, or pairwise-complete covariances "
            "disagree); omega needs one, try missing='complete'"
        )


def _correlation(covariance: np.ndarray) -> np.ndarray:
    sd = np.sqrt(np.diag(covariance))
    return covariance / np.outer(sd, sd)


def _fit_one_factor(covariance: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Omega and the standardised loadings and uniquenesses of an ML one-factor model.

    This is ``factanal.fit.mle`` of R's stats package for one factor: its objective
    (the likelihood discrepancy profiled over the loadings), its gradient, its start
    ``(1 - 0.5 / k) / diag(R^-1)`` and its bounds.
    """
    correlation = _correlation(covariance)
    start = (1 - 0.5 / correlation.shape[0]) / np.diag(np.linalg.inv(correlation))
    fit = optimize.minimize(
        _discrepancy,
        np.clip(start, *_UNIQUENESS_BOUNDS),
        args=(correlation,),
        jac=True,
        method="L-BFGS-B",
        bounds=[_UNIQUENESS_BOUNDS] * correlation.shape[0],
        options={"ftol": 1e-14, "gtol": 1e-10, "maxiter": 1000},
    )
    uniquenesses = fit.x
    loadings = _loadings(uniquenesses, correlation)
    if loadings.sum() < 0:
        loadings = -loadings
    variance = np.diag(covariance)
    common = (loadings * np.sqrt(variance)).sum() ** 2
    omega = common / (common + (uniquenesses * variance).sum())
    return float(omega), loadings, uniquenesses


def _loadings(uniquenesses: np.ndarray, correlation: np.ndarray) -> np.ndarray:
    scale = np.sqrt(uniquenesses)
    values, vectors = np.linalg.eigh(correlation / np.outer(scale, scale))
    return scale * vectors[:, -1] * np.sqrt(max(values[-1] - 1, 0.0))


def _discrepancy(uniquenesses: np.ndarray, correlation: np.ndarray) -> tuple[float, np.ndarray]:
    scale = np.sqrt(uniquenesses)
    values, vectors = np.linalg.eigh(correlation / np.outer(scale, scale))
    rest = values[:-1]
    objective = float(np.sum(rest - np.log(rest)) + 1 - correlation.shape[0])
    loadings = scale * vectors[:, -1] * np.sqrt(max(values[-1] - 1, 0.0))
    gradient = (loadings**2 + uniquenesses - np.diag(correlation)) / uniquenesses**2
    return objective, gradient


def _bootstrap_omega(
    x: np.ndarray, missing: Missing, n_boot: int, generator: np.random.Generator
) -> np.ndarray:
    """Omega in ``n_boot`` resamples of respondents, leaving out singular resamples."""
    if missing == "complete":
        x = x[~np.isnan(x).any(axis=1)]
    n = x.shape[0]
    frequencies = generator.multinomial(n, np.full(n, 1 / n), size=n_boot).astype(float)
    replicates = []
    for frequency in frequencies:
        covariance, counts = _pairwise_covariance(x, frequency)
        if counts.min() < 3 or not _is_positive_definite(covariance):
            continue
        replicates.append(_fit_one_factor(covariance)[0])
    if not replicates:
        raise ValueError("items: every bootstrap resample had a singular covariance matrix")
    return np.asarray(replicates)


def _is_positive_definite(covariance: np.ndarray) -> bool:
    variance = np.diag(covariance)
    if not (variance > 0).all():
        return False
    return bool(np.linalg.eigvalsh(_correlation(covariance))[0] > 1e-10)
