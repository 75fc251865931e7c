"""Variance of estimators from per-PSU totals: Taylor linearisation and replicates.

Everything here works on arrays with one row per PSU, so the cost grows with villages, not
respondents. The formulas are those of R's survey package: ``svyrecvar`` (one stage, "ultimate
cluster"), ``as.svrepdesign(type = "JK1" | "JKn" | "subbootstrap")`` and ``svrVar``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LONELY_PSU = ("fail", "adjust", "certainty")
VARIANCE_METHODS = ("taylor", "jk1", "jkn", "bootstrap")


def group_sums(codes: np.ndarray, n_groups: int, values: np.ndarray) -> np.ndarray:
    """Sum the rows of ``values`` (1-d or 2-d) by ``codes``; one ``np.bincount`` call."""
    values = np.asarray(values, dtype=float)
    if values.ndim == 1:
        return np.bincount(codes, weights=values, minlength=n_groups)
    k = values.shape[1]
    flat = (codes[:, None] * k + np.arange(k)).ravel()
    return np.bincount(flat, weights=values.ravel(), minlength=n_groups * k).reshape(n_groups, k)


@dataclass(frozen=True, slots=True)
class PsuLayout:
    """How PSUs sit in strata: what the variance needs besides the per-PSU totals.

    Attributes
    ----------
    psu_stratum : ndarray of int
        Stratum index of each PSU.
    stratum_names : tuple of str
        Name of each stratum, for messages.
    n_psu_in_stratum : ndarray of int
        PSUs sampled in each stratum (R's ``fpc$sampsize``).
    fpc_factor : ndarray of float
        ``(N_h - n_h) / N_h`` per stratum; 1 without a finite population correction.
    lonely_psu : str
        ``fail``, ``adjust`` or ``certainty`` (R's ``options(survey.lonely.psu)``).
    has_strata : bool
        Whether strata were declared (even one), which decides JK1 or JKn as in R.
    """

    psu_stratum: np.ndarray
    stratum_names: tuple[str, ...]
    n_psu_in_stratum: np.ndarray
    fpc_factor: np.ndarray
    lonely_psu: str
    has_strata: bool = True

    @property
    def n_psu(self) -> int:
        return len(self.psu_stratum)

    @property
    def n_strata(self) -> int:
        return len(self.n_psu_in_stratum)

    def lonely_strata(self) -> np.ndarray:
        """Strata with one PSU that were not sampled completely (those are certain)."""
        return np.flatnonzero((self.n_psu_in_stratum == 1) & (self.fpc_factor > 1e-7))


def make_layout(
    psu_stratum: np.ndarray,
    stratum_names: tuple[str, ...],
    fpc_factor: np.ndarray,
    lonely_psu: str,
    what: str = "strata",
    has_strata: bool = True,
) -> PsuLayout:
    """Build a :class:`PsuLayout`, refusing a lonely PSU under ``lonely_psu="fail"``."""
    if lonely_psu not in LONELY_PSU:
        raise ValueError(f"lonely_psu ({lonely_psu!r}) must be one of {', '.join(LONELY_PSU)}")
    counts = np.bincount(psu_stratum, minlength=len(stratum_names))
    layout = PsuLayout(
        psu_stratum, stratum_names, counts, np.asarray(fpc_factor, float), lonely_psu, has_strata
    )
    lonely = layout.lonely_strata()
    # A stratum with one PSU has no spread between PSUs to measure; rather than publish an SE
    # of zero, stop, as R does under its default survey.lonely.psu = "fail".
    if lonely_psu == "fail" and len(lonely):
        names = ", ".join(repr(stratum_names[h]) for h in lonely[:5])
        raise ValueError(
            f"{what}: stratum {names} has only one PSU; variance cannot be estimated "
            "(use lonely_psu='adjust' or 'certainty', or merge the stratum with another)"
        )
    return layout


def taylor_covariance(z: np.ndarray, layout: PsuLayout) -> np.ndarray:
    """Covariance of estimators from the per-PSU totals ``z`` of their influence functions.

    ``z`` has one row per PSU and one column per estimator. Mirrors R's ``svyrecvar`` for one
    stage: within each stratum PSU totals are centred and scaled by ``(1 - f_h) n_h/(n_h - 1)``.
    A lonely PSU adds nothing under ``certainty``; under ``adjust`` it is centred at the
    design's grand mean (0 for an influence function) instead of its own stratum mean.

    Examples
    --------
    >>> layout = make_layout(np.zeros(4, int), ("all",), np.ones(1), "fail")
    >>> taylor_covariance(np.array([[1.0], [-1.0], [2.0], [-2.0]]), layout)
    array([[13.33333333]])
    """
    z = np.asarray(z, dtype=float).reshape(layout.n_psu, -1)
    h = layout.psu_stratum
    n_h = layout.n_psu_in_stratum
    stratum_means = group_sums(h, layout.n_strata, z) / np.maximum(n_h, 1)[:, None]
    centred = z - stratum_means[h]
    lonely = n_h == 1
    if layout.lonely_psu == "adjust":
        centred = np.where(lonely[h][:, None], z, centred)
    scale = layout.fpc_factor * np.where(lonely, 1.0, n_h / np.maximum(n_h - 1, 1))
    scale = np.where(layout.fpc_factor < 1e-7, 0.0, scale)
    return (centred * scale[h][:, None]).T @ centred


@dataclass(frozen=True, slots=True)
class Replicates:
    """Replicate weights per PSU and how their spread becomes a variance (R's ``svrVar``).

    A replicate's weight for a row is the row's weight times its PSU's factor. Bootstrap
    factors are stored (PSUs x replicates). A jackknife replicate is stored by what it deletes,
    so that no PSUs x PSUs matrix is built: replicate r drops PSU ``deleted_psu[r]`` (or, when
    it is -1, its whole stratum) of stratum ``stratum[r]``, multiplies the rest of that stratum
    by ``inside[r]`` and every other stratum by ``outside[r]``. The variance is
    ``scale * sum(rscales * (theta_r - mean(theta))**2)``.
    """

    rscales: np.ndarray
    scale: float
    factors: np.ndarray | None = None
    stratum: np.ndarray | None = None
    deleted_psu: np.ndarray | None = None
    inside: np.ndarray | None = None
    outside: np.ndarray | None = None

    def totals(self, per_psu: np.ndarray, layout: PsuLayout) -> np.ndarray:
        """Replicate totals (replicates x columns) of per-PSU values (PSUs x columns)."""
        if self.factors is not None:
            return self.factors.T @ per_psu
        by_stratum = group_sums(layout.psu_stratum, layout.n_strata, per_psu)
        grand = per_psu.sum(axis=0)
        own = by_stratum[self.stratum]
        dropped = np.where((self.deleted_psu >= 0)[:, None], per_psu[self.deleted_psu], own)
        return self.outside[:, None] * (grand - own) + self.inside[:, None] * (own - dropped)


def replicates_for(
    layout: PsuLayout, method: str, n_replicates: int = 500, seed: int | None = None
) -> Replicates:
    """Replicates for ``method`` in ``jk1``, ``jkn``, ``bootstrap``."""
    if method == "jk1":
        return jk1(layout)
    if method == "jkn":
        return jkn(layout)
    if method == "bootstrap":
        return subbootstrap(layout, n_replicates, seed)
    raise ValueError(f"variance ({method!r}) must be one of {', '.join(VARIANCE_METHODS)}")


def jk1(layout: PsuLayout) -> Replicates:
    """Delete-one-PSU jackknife for an unstratified design, as ``as.svrepdesign(type="JK1")``."""
    if layout.has_strata:
        raise ValueError("variance: jk1 is for unstratified designs; use jkn with strata")
    n = layout.n_psu
    if n < 2:
        raise ValueError("variance: jk1 needs at least two PSUs")
    return Replicates(
        np.ones(n),
        float(layout.fpc_factor[0] * (n - 1) / n),
        stratum=np.zeros(n, dtype=int),
        deleted_psu=np.arange(n),
        inside=np.full(n, n / (n - 1)),
        outside=np.ones(n),
    )


def jkn(layout: PsuLayout) -> Replicates:
    """Stratified delete-one-PSU jackknife, as ``as.svrepdesign(type="JKn")``.

    Deleting PSU j of stratum h multiplies the other PSUs of h by ``n_h/(n_h - 1)``, with
    ``rscale = (1 - f_h)(n_h - 1)/n_h``. Completely sampled strata make no replicates. A lonely
    PSU under ``adjust`` gets R's replicate: its stratum deleted, every other PSU multiplied by
    ``H/(H - 1)`` and ``rscale = (H - 1)/H``; under ``certainty`` it makes none.
    """
    if not layout.has_strata:
        raise ValueError("variance: jkn is for stratified designs; use jk1 without strata")
    h = layout.psu_stratum
    n_h = layout.n_psu_in_stratum[h]
    f_h = layout.fpc_factor[h]
    deleted = np.flatnonzero((n_h > 1) & (f_h > 1e-7))
    stratum = h[deleted]
    inside = n_h[deleted] / (n_h[deleted] - 1)
    outside = np.ones(len(deleted))
    rscales = f_h[deleted] * (n_h[deleted] - 1) / n_h[deleted]
    if layout.lonely_psu == "adjust":
        lonely = np.flatnonzero((n_h == 1) & (f_h > 1e-7))
        n_strata = max(layout.n_strata, 2)
        deleted = np.concatenate([deleted, np.full(len(lonely), -1)])
        stratum = np.concatenate([stratum, h[lonely]])
        inside = np.concatenate([inside, np.zeros(len(lonely))])
        outside = np.concatenate([outside, np.full(len(lonely), n_strata / (n_strata - 1))])
        rscales = np.concatenate([rscales, np.full(len(lonely), (n_strata - 1) / n_strata)])
    if len(deleted) == 0:
        raise ValueError("variance: every stratum was sampled completely; there is no variance")
    return Replicates(
        rscales, 1.0, stratum=stratum, deleted_psu=deleted, inside=inside, outside=outside
    )


def subbootstrap(layout: PsuLayout, n_replicates: int, seed: int | None) -> Replicates:
    """Rao-Wu rescaling bootstrap, as ``as.svrepdesign(type="subbootstrap")``.

    Each replicate draws ``n_h - 1`` of the ``n_h`` PSUs of every stratum with replacement; a
    PSU's factor is its number of draws times ``n_h/(n_h - 1)``. A lonely PSU keeps factor 1
    (it adds no variance). The finite population correction is ignored, as in R.
    """
    if n_replicates < 2:
        raise ValueError(f"replicates ({n_replicates}) must be at least 2")
    rng = np.random.default_rng(seed)
    h = layout.psu_stratum
    n_h = layout.n_psu_in_stratum
    order = np.argsort(h, kind="stable")
    first = np.concatenate([[0], np.cumsum(n_h)[:-1]])
    draws_h = np.maximum(n_h - 1, 0)
    slot_stratum = np.repeat(np.arange(layout.n_strata), draws_h)
    u = rng.random((n_replicates, len(slot_stratum)))
    picked = order[first[slot_stratum] + (u * n_h[slot_stratum]).astype(int)]
    cells = (np.arange(n_replicates)[:, None] * layout.n_psu + picked).ravel()
    counts = np.bincount(cells, minlength=n_replicates * layout.n_psu)
    counts = counts.reshape(n_replicates, layout.n_psu).T.astype(float)
    lonely = n_h[h] == 1
    factors = np.where(lonely[:, None], 1.0, counts * (n_h / np.maximum(n_h - 1, 1))[h][:, None])
    return Replicates(np.ones(n_replicates), 1.0 / (n_replicates - 1), factors=factors)


def replicate_covariance(thetas: np.ndarray, replicates: Replicates) -> np.ndarray:
    """Covariance from replicate estimates (replicates x estimators), centred at their mean.

    Replicates whose estimate is undefined (a domain with no weight in that replicate) are
    dropped with their ``rscale``, as R's ``svrVar`` does with ``na.omit``.
    """
    thetas = np.asarray(thetas, dtype=float).reshape(len(replicates.rscales), -1)
    keep = np.isfinite(thetas).all(axis=1)
    t, r = thetas[keep], replicates.rscales[keep]
    if len(t) == 0:
        return np.full((thetas.shape[1], thetas.shape[1]), np.nan)
    centred = t - t.mean(axis=0)
    return replicates.scale * (centred * r[:, None]).T @ centred
