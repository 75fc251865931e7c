"""The benchmark's survey file: a seeded stratified two-stage sample, cached as CSV.

One million respondents in 2,000 villages (PSUs) of very different sizes, 40 drawn in each of
50 strata, with weights that are inverse inclusion probabilities and a 14-level group that
cuts across strata (an age-by-sex band, say), so domain estimates are not stratum estimates.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

ROWS = 1_000_000
STRATA = 50
PSUS_PER_STRATUM = 40
GROUPS = 14
SEED = 20240611
OUT = Path(__file__).resolve().parent / "out"
CSV = OUT / f"survey_{ROWS}.csv"


def survey_frame(seed: int = SEED) -> pd.DataFrame:
    """Respondent rows: stratum, psu, fpc (villages in the stratum), w, group, y (0-100)."""
    generator = np.random.default_rng(seed)
    psus = STRATA * PSUS_PER_STRATUM
    stratum_of_psu = np.repeat(np.arange(STRATA), PSUS_PER_STRATUM)
    villages_in_stratum = generator.integers(120, 400, size=STRATA)
    respondents = _split(ROWS, generator.lognormal(0, 0.6, size=psus), generator)
    adults = np.round(respondents * generator.uniform(3, 12, size=psus))
    psu_weight = villages_in_stratum[stratum_of_psu] / PSUS_PER_STRATUM * adults / respondents

    psu = np.repeat(np.arange(psus), respondents)
    stratum = stratum_of_psu[psu]
    group = generator.choice(GROUPS, size=ROWS, p=_shares(generator))
    effects = (
        generator.normal(0, 6, size=STRATA)[stratum]
        + generator.normal(0, 8, size=psus)[psu]
        + np.linspace(-10, 10, GROUPS)[group]
    )
    y = np.clip(np.round(60 + effects + generator.normal(0, 15, size=ROWS), 1), 0, 100)
    return pd.DataFrame(
        {
            "stratum": stratum + 1,
            "psu": psu + 1,
            "fpc": villages_in_stratum[stratum],
            "w": np.round(psu_weight[psu], 4),
            "group": group + 1,
            "y": y,
        }
    )


def _split(total: int, sizes: np.ndarray, generator: np.random.Generator) -> np.ndarray:
    """Whole numbers of respondents per PSU, in proportion to ``sizes``, adding to ``total``."""
    counts = np.maximum(np.floor(sizes / sizes.sum() * total).astype(int), 1)
    extra = generator.choice(sizes.size, size=total - counts.sum(), p=sizes / sizes.sum())
    return counts + np.bincount(extra, minlength=sizes.size)


def _shares(generator: np.random.Generator) -> np.ndarray:
    shares = generator.uniform(0.3, 1.0, size=GROUPS)
    return shares / shares.sum()


def ensure_csv(path: Path = CSV) -> Path:
    """Write the survey file once; later runs reuse it."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        survey_frame().to_csv(partial, index=False)
        partial.rename(path)
    return path


if __name__ == "__main__":
    print(ensure_csv())
