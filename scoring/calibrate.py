"""Calibration: raking to population margins (R's ``rake``)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from scoring.design import ColumnError, Design, RakingMargin, encode_levels, require_column

MAX_ITERATIONS = 500
TOLERANCE = 1e-9


def rake(
    design: Design,
    margins: Mapping[str, Mapping[str, float]],
    *,
    max_iterations: int = MAX_ITERATIONS,
    tolerance: float = TOLERANCE,
) -> Design:
    """Rake the weights to population margins by iterative proportional fitting.

    As R's ``rake(design, list(~a, ~b), list(pop_a, pop_b),
    control = list(maxit = 500, epsilon = 1e-9))``: the weights are post-stratified on each
    margin in turn until no weighted cell of the margins' cross-table moves by more than
    ``tolerance`` times the sum of the original weights. The returned design remembers the
    margins, so its standard errors are those of the raked estimator (R's linearisation:
    residuals of the influence functions from the raking, ``svyrecvar``).

    Parameters
    ----------
    design : Design
    margins : mapping of column to mapping of level to population total
        For example ``{"sex": {"F": 134000, "M": 132000}}``. Levels are matched to the
        column's values as strings (1.0 matches "1").
    max_iterations, tolerance
        Stop rules, as R's ``control``.

    Returns
    -------
    Design
        The same design with raked weights.

    Raises
    ------
    ValueError
        A margin column that is missing or has empty cells, a level in the data but not in the
        margins or the other way round, a non-positive total, or no convergence.

    Examples
    --------
    >>> d = Design({"sex": ["F", "F", "M", "M", "M"], "y": [1.0, 2, 3, 4, 5]})
    >>> raked = rake(d, {"sex": {"F": 50, "M": 50}})
    >>> raked.weights.tolist()
    [25.0, 25.0, 16.666666666666668, 16.666666666666668, 16.666666666666668]
    """
    if not margins:
        raise ValueError("margins: no margin given")
    codes, targets = zip(*(_margin(design, col, pop) for col, pop in margins.items()), strict=True)
    _check_margins_agree(list(margins), targets, tolerance)
    w = design.weights.copy()
    epsilon = tolerance * w.sum()
    joint = _joint_cells(codes)
    table = np.bincount(joint, weights=w)
    after_each = []
    for _ in range(max_iterations):
        after_each = []
        for c, target in zip(codes, targets, strict=True):
            current = np.bincount(c, weights=w, minlength=len(target))
            with np.errstate(divide="ignore", invalid="ignore"):
                w = w * np.where(current > 0, target / current, 0.0)[c]
            after_each.append(w.copy())
        new_table = np.bincount(joint, weights=w, minlength=len(table))
        moved = np.abs(new_table - table).max()
        table = new_table
        if moved < epsilon:
            break
    else:
        raise ValueError(
            f"margins: raking did not converge in {max_iterations} iterations; "
            "check that the margins agree with each other"
        )
    raked = tuple(
        RakingMargin(col, c, weights)
        for col, c, weights in zip(margins, codes, after_each, strict=True)
    )
    return design.with_calibration(w, raked)


def _margin(design: Design, column: str, population: Mapping[str, float]):
    if not isinstance(population, Mapping) or not population:
        raise ValueError(f"margins: column '{column}' needs a mapping of level to total")
    codes, labels = encode_levels(require_column(design.columns, column, "margins"))
    missing = np.flatnonzero(codes < 0)
    if len(missing):
        raise ColumnError(
            f"margins: column '{column}' is empty at row {missing[0]}; raking needs every row",
            column=column,
            row=int(missing[0]),
        )
    population = {str(k): v for k, v in population.items()}
    absent = [level for level in labels if level not in population]
    if absent:
        raise ValueError(
            f"margins: column '{column}' has level {absent[0]!r} in the data but not in the "
            f"margins (margins: {sorted(population)})"
        )
    unused = [level for level in population if level not in labels]
    if unused:
        raise ValueError(
            f"margins: column '{column}' has no row with level {unused[0]!r} of the margins"
        )
    target = np.array([_total(column, level, population[level]) for level in labels])
    return codes, target


def _check_margins_agree(columns, targets, tolerance) -> None:
    # Margins with different grand totals cannot all be met; IPF would settle into a cycle
    # that meets only the last margin, which must not pass for a calibrated design.
    sums = [t.sum() for t in targets]
    for column, s in zip(columns[1:], sums[1:], strict=True):
        if abs(s - sums[0]) > max(tolerance, 1e-9) * sums[0]:
            raise ValueError(
                f"margins: column '{column}' sums to {s:g} but '{columns[0]}' to {sums[0]:g}; "
                "every margin must describe the same population"
            )


def _total(column: str, level: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ValueError(
            f"margins: column '{column}' level {level!r} has total {value!r}; "
            "totals must be positive numbers"
        )
    return float(value)


def _joint_cells(codes) -> np.ndarray:
    joint = np.zeros_like(codes[0])
    for c in codes:
        joint = joint * (c.max() + 1) + c
    return np.unique(joint, return_inverse=True)[1].ravel()


def raking_residuals(z: np.ndarray, margins: tuple[RakingMargin, ...]) -> np.ndarray:
    """Residuals of row-level influence functions ``z`` (rows x estimators) from raking.

    Mirrors R's ``svyrecvar`` for a raked design: ten backfitting sweeps, each subtracting,
    margin by margin, ``w_m`` times the within-level mean of ``z / w_m``, where ``w_m`` are
    the weights after that margin's step in the last raking iteration. A row whose level
    code is -1 was not raked on that margin (part of a design where only some strata are
    calibrated) and keeps its value.
    """
    z = np.array(z, dtype=float)
    for _ in range(10):
        for margin in margins:
            with np.errstate(divide="ignore", invalid="ignore"):
                scaled = np.where(margin.weights[:, None] != 0, z / margin.weights[:, None], 0.0)
            n_levels = margin.codes.max() + 1
            # Rows outside the margin form one more level, whose mean is then set to 0.
            codes = np.where(margin.codes >= 0, margin.codes, n_levels)
            k = z.shape[1]
            cells = (codes[:, None] * k + np.arange(k)).ravel()
            sums = np.bincount(cells, weights=scaled.ravel(), minlength=(n_levels + 1) * k)
            counts = np.bincount(codes, minlength=n_levels + 1)
            with np.errstate(divide="ignore", invalid="ignore"):
                level_means = sums.reshape(n_levels + 1, k) / counts[:, None]
            level_means[n_levels] = 0.0
            z = z - margin.weights[:, None] * level_means[codes]
    return z
