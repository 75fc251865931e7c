"""Design-based survey statistics on plain NumPy/SciPy, checked against R's survey package.

>>> from scoring import Design, mean
>>> design = Design({"y": [3.0, 4, 5, 4], "w": [10.0, 10, 20, 20], "village": list("aabb")},
...                 weights="w", clusters="village")
>>> round(mean(design, "y").estimate, 4)
4.1667
"""

from scoring.calibrate import rake
from scoring.csvio import read_csv
from scoring.design import ColumnError, Design
from scoring.estimators import (
    contrast,
    difference,
    estimate_from_psu_totals,
    mean,
    proportion,
    ratio,
    total,
)
from scoring.results import ConfidenceInterval, Estimate, ShareEstimate

__all__ = [
    "ColumnError",
    "ConfidenceInterval",
    "Design",
    "Estimate",
    "ShareEstimate",
    "contrast",
    "difference",
    "estimate_from_psu_totals",
    "mean",
    "proportion",
    "rake",
    "ratio",
    "read_csv",
    "total",
]
