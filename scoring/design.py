"""The survey design: data columns with weights, strata, clusters and fpc (R's ``svydesign``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from scoring.variance import PsuLayout, make_layout


class ColumnError(ValueError):
    """A ``ValueError`` about one column, and possibly one row (0-based), of the data.

    The command line turns ``row`` into the CSV line of the bad value.
    """

    def __init__(self, message: str, *, column: str, row: int | None = None):
        super().__init__(message)
        self.column = column
        self.row = row


def level_strings(values: np.ndarray) -> np.ndarray:
    """Values as R's ``as.character`` writes them; missing values become ``""``.

    Whole numbers lose their ``.0`` (1.0 -> "1"), so a numeric column's levels match the
    strings of a margins file or a ``--by`` group. Only distinct values are formatted.
    """
    values = np.asarray(values)
    uniques, inverse = _distinct(values)
    return np.asarray(_format_levels(uniques), dtype=str)[inverse.reshape(values.shape)]


def _distinct(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(values, return_inverse=True)``, in linear time for whole-number labels.

    Strata, PSU and group labels are mostly small whole numbers (1..2000 as floats from a
    CSV); counting them is several times faster than sorting a million of them.
    """
    flat = values.reshape(-1)
    if flat.dtype.kind in "iuf" and flat.size:
        finite = np.isfinite(flat) if flat.dtype.kind == "f" else None
        whole = flat if finite is None or finite.all() else flat[finite]
        if whole.size:
            low, high = whole.min(), whole.max()
            span = float(high) - float(low)
            if (
                span <= 4 * flat.size + 1024
                and max(abs(float(low)), abs(float(high))) < 2**53
                and (whole.dtype.kind in "iu" or np.array_equal(whole, np.floor(whole)))
            ):
                return _count_distinct(flat, finite, low)
    uniques, inverse = np.unique(flat, return_inverse=True)
    return uniques, inverse.reshape(-1)


def _count_distinct(flat, finite, low) -> tuple[np.ndarray, np.ndarray]:
    if finite is None or finite.all():
        offset = (flat - low).astype(np.int64)
    else:
        offset = np.zeros(flat.size, dtype=np.int64)
        offset[finite] = (flat[finite] - low).astype(np.int64)
    present = np.bincount(offset if finite is None else offset[finite]) > 0
    position = np.cumsum(present) - 1
    inverse = position[offset]
    uniques = (np.flatnonzero(present) + low).astype(flat.dtype)
    if finite is not None and not finite.all():
        # np.unique keeps one NaN, sorted last; as R, a missing value is one level "".
        inverse[~finite] = len(uniques)
        uniques = np.append(uniques, np.nan)
    return uniques, inverse


def _format_levels(uniques: np.ndarray) -> list[str]:
    if uniques.dtype.kind in "fc":
        return [_number_string(v) for v in uniques.tolist()]
    if uniques.dtype.kind == "b":
        return ["TRUE" if v else "FALSE" for v in uniques.tolist()]
    if uniques.dtype.kind in "iu":
        return [str(int(v)) for v in uniques.tolist()]
    return ["" if v is None else str(v).strip() for v in uniques.tolist()]


def _number_string(v: float) -> str:
    if v != v:
        return ""
    if float(v).is_integer() and abs(v) < 1e15:
        return str(int(v))
    return format(v, ".15g")


def encode_levels(values: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Codes 0..L-1 for the distinct levels sorted as strings; -1 for a missing value.

    Only the distinct values are formatted and sorted as strings; the rows are encoded by
    their values (numbers stay numbers), so a million numeric labels cost one count.
    """
    values = np.asarray(values)
    uniques, inverse = _distinct(values)
    labels, position = np.unique(
        np.asarray(_format_levels(uniques), dtype=str), return_inverse=True
    )
    codes = position.reshape(-1).astype(np.intp)[inverse].reshape(values.shape)
    labels = labels.tolist()
    if labels and labels[0] == "":
        return codes - 1, labels[1:]
    return codes, labels


def numeric_column(columns: Mapping[str, np.ndarray], name: str, role: str) -> np.ndarray:
    """The column ``name`` as floats (empty cells NaN), or a :class:`ColumnError` naming it."""
    column = require_column(columns, name, role)
    if column.dtype.kind in "fiub":
        return column.astype(float)
    text = np.char.strip(column.astype(str))
    try:
        return np.where(text == "", "nan", text).astype(float)
    except ValueError:
        pass
    for row, cell in enumerate(text.tolist()):
        try:
            float(cell or "nan")
        except ValueError:
            raise ColumnError(
                f"{role}: column '{name}' has {cell!r} at row {row}, which is not a number",
                column=name,
                row=row,
            ) from None
    raise AssertionError("unreachable: the column converted to float after all")


def require_column(columns: Mapping[str, np.ndarray], name: str, role: str) -> np.ndarray:
    if name not in columns:
        known = ", ".join(list(columns)[:20])
        raise ColumnError(f"{role}: no column '{name}' (columns: {known})", column=name)
    return columns[name]


@dataclass(frozen=True, slots=True)
class RakingMargin:
    """One raking margin: each row's level code and the weights after raking on it."""

    column: str
    codes: np.ndarray
    weights: np.ndarray


class Design:
    """A survey design: the data and how it was sampled, as R's ``svydesign``.

    One stage is modelled ("ultimate cluster"): ``clusters`` are the PSUs, nested in
    ``strata`` (a village name that recurs in two townships is two PSUs, R's ``nest = TRUE``).

    Parameters
    ----------
    columns : mapping of str to array-like
        The data, one array per column, all of the same length.
    weights : str, optional
        Column of sampling weights (>= 0). Without it, ``N_h/n_h`` from ``fpc``, else 1.
    strata : str, optional
        Column of stratum labels (for example townships).
    clusters : str, optional
        Column of PSU labels (for example villages). Without it every row is its own PSU.
    fpc : str, optional
        Finite population correction: the population number of PSUs in the row's stratum
        (of rows when there are no clusters), or, when every value is <= 1, the sampling
        fraction. Constant within a stratum.
    lonely_psu : {"fail", "adjust", "certainty"}
        What a stratum with a single PSU contributes to the variance, as R's
        ``options(survey.lonely.psu = ...)``. ``fail`` refuses the design.

    Raises
    ------
    ValueError
        Naming the column and the problem: a missing column, a non-numeric weight or fpc,
        negative or missing weights, a missing stratum or cluster label, an fpc that varies
        within a stratum or is smaller than the sample, a lonely PSU under ``fail``.

    Examples
    --------
    >>> design = Design({"y": [1.0, 2, 3, 4], "w": [1.0, 1, 2, 2], "v": ["a", "a", "b", "c"]},
    ...                 weights="w", clusters="v")
    >>> design.n_rows, design.n_psu, design.df
    (4, 3, 2)
    """

    __slots__ = ("columns", "weights", "psu", "layout", "df", "calibration", "names")

    def __init__(
        self,
        columns: Mapping[str, np.ndarray | Sequence],
        weights: str | None = None,
        strata: str | None = None,
        clusters: str | None = None,
        fpc: str | None = None,
        lonely_psu: str = "fail",
    ):
        self.columns = _as_arrays(columns)
        self.names = {"weights": weights, "strata": strata, "clusters": clusters, "fpc": fpc}
        stratum_of_row, stratum_names = _strata_codes(self.columns, strata)
        self.psu, psu_stratum = _psu_codes(self.columns, clusters, stratum_of_row)
        n_psu_h = np.bincount(psu_stratum, minlength=len(stratum_names))
        population = _population_sizes(self.columns, fpc, stratum_of_row, stratum_names, n_psu_h)
        fpc_factor = (
            np.ones(len(stratum_names))
            if population is None
            else ((population - n_psu_h) / population)
        )
        what = f"strata: column '{strata}'" if strata else "design"
        self.layout = make_layout(
            psu_stratum, tuple(stratum_names), fpc_factor, lonely_psu, what, strata is not None
        )
        self.weights = _weights(self.columns, weights, population, n_psu_h, stratum_of_row)
        self.df = _degrees_of_freedom(self.weights, self.psu, self.layout)
        self.calibration: tuple[RakingMargin, ...] = ()

    @property
    def n_rows(self) -> int:
        return len(self.weights)

    @property
    def n_psu(self) -> int:
        return self.layout.n_psu

    @property
    def is_calibrated(self) -> bool:
        return bool(self.calibration)

    def with_calibration(self, weights: np.ndarray, margins: tuple[RakingMargin, ...]) -> Design:
        """A copy with calibrated ``weights``; the variance then reflects the ``margins``."""
        copy = object.__new__(Design)
        for name in Design.__slots__:
            object.__setattr__(copy, name, getattr(self, name))
        copy.weights = np.asarray(weights, dtype=float)
        copy.calibration = self.calibration + tuple(margins)
        return copy

    def __repr__(self) -> str:
        used = ", ".join(f"{k}={v!r}" for k, v in self.names.items() if v)
        return (
            f"Design({self.n_rows} rows, {self.n_psu} PSUs, {self.layout.n_strata} strata, "
            f"df={self.df}{', ' + used if used else ''}"
            f"{', raked' if self.calibration else ''})"
        )


def _as_arrays(columns: Mapping) -> dict[str, np.ndarray]:
    if not isinstance(columns, Mapping) or not columns:
        raise TypeError("columns must be a non-empty mapping of column name to array")
    arrays = {str(k): np.asarray(v) for k, v in columns.items()}
    lengths = {k: len(v) for k, v in arrays.items()}
    n = next(iter(lengths.values()))
    for name, length in lengths.items():
        if length != n:
            raise ColumnError(f"columns: column '{name}' has {length} rows, not {n}", column=name)
    if n == 0:
        raise ValueError("columns: the data has no rows")
    return arrays


def _first_missing(codes: np.ndarray, name: str, role: str) -> None:
    missing = np.flatnonzero(codes < 0)
    if len(missing):
        raise ColumnError(
            f"{role}: column '{name}' has {len(missing)} empty values "
            f"(first at row {missing[0]}); every row needs one",
            column=name,
            row=int(missing[0]),
        )


def _strata_codes(columns, strata):
    n = len(next(iter(columns.values())))
    if strata is None:
        return np.zeros(n, dtype=int), ["(all)"]
    codes, labels = encode_levels(require_column(columns, strata, "strata"))
    _first_missing(codes, strata, "strata")
    return codes, labels


def _psu_codes(columns, clusters, stratum_of_row):
    n = len(stratum_of_row)
    if clusters is None:
        return np.arange(n), stratum_of_row.copy()
    codes, _ = encode_levels(require_column(columns, clusters, "clusters"))
    _first_missing(codes, clusters, "clusters")
    pairs = stratum_of_row.astype(np.int64) * (codes.max() + 1) + codes
    unique_pairs, psu = _distinct(pairs)
    return psu.reshape(n), (unique_pairs // (codes.max() + 1)).astype(int)


def _population_sizes(columns, fpc, stratum_of_row, stratum_names, n_psu_h):
    if fpc is None:
        return None
    values = numeric_column(columns, fpc, "fpc")
    bad = np.flatnonzero(~np.isfinite(values) | (values <= 0))
    if len(bad):
        raise ColumnError(
            f"fpc: column '{fpc}' has {len(bad)} missing or non-positive values "
            f"(first at row {bad[0]}); fpc must be > 0",
            column=fpc,
            row=int(bad[0]),
        )
    n_strata = len(stratum_names)
    low = np.full(n_strata, np.inf)
    low[stratum_of_row] = values  # one of each stratum's values: all of them, if constant
    high = low
    if (values != low[stratum_of_row]).any():
        low, high = np.full(n_strata, np.inf), np.full(n_strata, -np.inf)
        np.minimum.at(low, stratum_of_row, values)
        np.maximum.at(high, stratum_of_row, values)
    varying = np.flatnonzero(low != high)
    if len(varying):
        h = varying[0]
        row = int(np.flatnonzero(stratum_of_row == h)[0])
        raise ColumnError(
            f"fpc: column '{fpc}' is not constant within stratum '{stratum_names[h]}' "
            f"({low[h]:g} to {high[h]:g})",
            column=fpc,
            row=row,
        )
    # As R's svydesign: values that are all <= 1 are sampling fractions, else population sizes.
    population = n_psu_h / low if (values <= 1).all() else low
    small = np.flatnonzero(population < n_psu_h - 1e-9)
    if len(small):
        h = small[0]
        raise ColumnError(
            f"fpc: column '{fpc}' gives {population[h]:g} PSUs in stratum "
            f"'{stratum_names[h]}', fewer than the {n_psu_h[h]} sampled",
            column=fpc,
        )
    return population


def _weights(columns, weights, population, n_psu_h, stratum_of_row):
    if weights is None:
        if population is None:
            return np.ones(len(stratum_of_row))
        return (population / n_psu_h)[stratum_of_row]
    w = numeric_column(columns, weights, "weights")
    for problem, mask in (("missing", ~np.isfinite(w)), ("negative", w < 0)):
        rows = np.flatnonzero(mask)
        if len(rows):
            raise ColumnError(
                f"weights: column '{weights}' has {len(rows)} {problem} values "
                f"(first at row {rows[0]}); weights must be >= 0",
                column=weights,
                row=int(rows[0]),
            )
    if not (w > 0).any():
        raise ColumnError(f"weights: column '{weights}' has no positive weight", column=weights)
    return w


def _degrees_of_freedom(weights: np.ndarray, psu: np.ndarray, layout: PsuLayout) -> int:
    # As R's degf(): PSUs minus strata, counting only those with a row of non-zero weight.
    psu_in = np.bincount(psu, weights=(weights != 0).astype(float), minlength=layout.n_psu) > 0
    strata_in = np.unique(layout.psu_stratum[psu_in])
    return int(psu_in.sum() - len(strata_in))
