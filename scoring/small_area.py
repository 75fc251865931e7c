"""Small areas: the Fay-Herriot empirical-Bayes estimate (收缩估计（模型估计）) for villages.

Model (Fay & Herriot 1979): a village's direct estimate ``y_i = θ_i + e_i`` with sampling
variance ``D_i`` taken as known, and ``θ_i = x_i'β + v_i`` with ``v_i ~ N(0, A)``. The
estimate ``γ_i y_i + (1 - γ_i) x_i'β̂`` with ``γ_i = A / (A + D_i)`` leans on the model most
where the village's own sample says least.

- ``D_i`` is smoothed: the pooled within-village variance of the respondent scores divided by
  the village's respondents, times its finite population correction. A village's own sample
  variance from 5 respondents is too noisy (and is 0 when the answers agree), which would
  make the shrinkage erratic; pooling is the usual generalised-variance-function fix.
- ``A`` by REML (Fisher scoring, truncated at 0), as R's ``sae::eblupFH(method = "REML")``.
- The MSE is Prasad and Rao's ``g1 + g2 + 2 g3`` (Datta and Lahiri's form for REML), and the
  interval is ``estimate ± z·√MSE``: a model-based interval, labelled as such, never the
  basis of a grade.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from scoring.results import ConfidenceInterval, check_confidence_level

LABEL = "收缩估计（模型估计）"
MAX_ITERATIONS = 100
TOLERANCE = 1e-8


@dataclass(frozen=True, slots=True)
class ShrinkageEstimate:
    """One area's Fay-Herriot estimate; ``label`` says it is model-based."""

    estimate: float
    mse: float
    ci: ConfidenceInterval
    confidence_level: float
    shrinkage: float  # 1 - γ: the share taken from the model
    label: str = LABEL


@dataclass(frozen=True, slots=True)
class FayHerriotFit:
    areas: tuple[ShrinkageEstimate, ...]
    beta: tuple[float, ...]
    model_variance: float  # A
    iterations: int


def smoothed_sampling_variance(
    n: Sequence[float], pooled_variance: float, population: Sequence[float] | None = None
) -> np.ndarray:
    """``D_i = s²_pooled / n_i · (1 - n_i / N_i)``: the GVF the module docstring describes."""
    n = np.asarray(n, dtype=float)
    if (n <= 0).any():
        raise ValueError("n: every area needs at least one respondent")
    fpc = 1.0 if population is None else np.clip(1 - n / np.asarray(population, float), 0, 1)
    return pooled_variance / n * fpc


def fay_herriot(
    direct: Sequence[float],
    sampling_variance: Sequence[float],
    covariates: np.ndarray | None = None,
    *,
    confidence_level: float = 0.95,
) -> FayHerriotFit:
    """Fit the Fay-Herriot model by REML and return every area's EBLUP with its MSE.

    Parameters
    ----------
    direct : sequence of float
        Direct estimates, one per area.
    sampling_variance : sequence of float
        Their sampling variances ``D_i`` (> 0 except for a census, which keeps its direct
        value exactly).
    covariates : array (areas x p), optional
        ``x_i``; an intercept alone by default.
    confidence_level : float

    Raises
    ------
    ValueError
        Fewer areas than covariates plus two, or non-finite inputs.

    Examples
    --------
    >>> fit = fay_herriot([70.0, 80, 90, 60, 75], [25.0, 25, 25, 25, 100])
    >>> round(fit.areas[4].estimate, 2) == 75.0, fit.areas[4].shrinkage > fit.areas[0].shrinkage
    (True, True)
    """
    level = check_confidence_level(confidence_level)
    y = np.asarray(direct, dtype=float)
    d = np.asarray(sampling_variance, dtype=float)
    m = len(y)
    x = np.ones((m, 1)) if covariates is None else np.asarray(covariates, dtype=float)
    p = x.shape[1]
    if not (np.isfinite(y).all() and np.isfinite(d).all() and (d >= 0).all()):
        raise ValueError("direct and sampling_variance must be finite, variances >= 0")
    if m < p + 2:
        raise ValueError(f"fay_herriot: {m} areas are too few for {p} covariates")
    a, iterations = _reml(y, d, x)
    v_inv = 1 / (a + d)
    xtvx_inv = np.linalg.pinv(x.T @ (x * v_inv[:, None]))
    beta = xtvx_inv @ (x.T @ (v_inv * y))
    gamma = np.where(a + d > 0, a / np.where(a + d > 0, a + d, 1), 1.0)
    synthetic = x @ beta
    theta = gamma * y + (1 - gamma) * synthetic
    g1 = gamma * d
    g2 = (1 - gamma) ** 2 * np.einsum("ij,jk,ik->i", x, xtvx_inv, x)
    var_a = 2 / np.sum(v_inv**2)
    g3 = np.where(a + d > 0, d**2 * v_inv**3, 0.0) * var_a
    mse = g1 + g2 + 2 * g3
    z = stats.norm.ppf(1 - (1 - level) / 2)
    half = z * np.sqrt(mse)
    areas = tuple(
        ShrinkageEstimate(
            float(theta[i]),
            float(mse[i]),
            ConfidenceInterval(float(theta[i] - half[i]), float(theta[i] + half[i])),
            level,
            float(1 - gamma[i]),
        )
        for i in range(m)
    )
    return FayHerriotFit(areas, tuple(beta.tolist()), float(a), iterations)


def _reml(y: np.ndarray, d: np.ndarray, x: np.ndarray) -> tuple[float, int]:
    # Start from the moment estimate: the spread of the direct estimates beyond their noise.
    a = max(float(np.var(y, ddof=x.shape[1]) - np.mean(d)), 0.0)
    for iteration in range(1, MAX_ITERATIONS + 1):
        v_inv = np.diag(1 / np.maximum(a + d, 1e-12))
        proj = v_inv - v_inv @ x @ np.linalg.pinv(x.T @ v_inv @ x) @ x.T @ v_inv
        py = proj @ y
        score = -0.5 * np.trace(proj) + 0.5 * py @ py
        information = 0.5 * np.sum(proj * proj)
        step = score / information
        new = max(a + step, 0.0)
        if abs(new - a) < TOLERANCE * max(1.0, a):
            return new, iteration
        a = new
    return a, MAX_ITERATIONS
