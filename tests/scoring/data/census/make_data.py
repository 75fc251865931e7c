"""Writes census.csv and census-population.csv (run once; the files are committed).

Three townships of 4, 3 and 2 villages; in each village 6-25 respondents out of 40-900
adults, with sex and age group (the raking margins) and four 0-100 dimension scores.
"""

from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
rng = np.random.default_rng(20261126)
rows, cells = [], []
for t, villages in (("T1", 4), ("T2", 3), ("T3", 2)):
    for j in range(villages):
        v = f"{t}V{j}"
        adults = int(rng.integers(40, 900))
        n = int(rng.integers(6, 26))
        female = int(round(adults * rng.uniform(0.45, 0.55)))
        shares = rng.dirichlet([4, 4, 4])
        for sex, size in (("女", female), ("男", adults - female)):
            split = np.floor(size * shares).astype(int)
            split[-1] = size - split[:-1].sum()
            for age, k in zip(("18-39", "40-59", "60+"), split, strict=True):
                cells.append((v, age, sex, int(k)))
        level = rng.normal(75, 8)
        for i in range(n):
            # Every cell gets a respondent: the first six rows cover sex x age.
            sex = ("女", "男")[i % 2] if i < 6 else ("女", "男")[int(rng.integers(2))]
            age = (
                ("18-39", "40-59", "60+")[(i // 2) % 3]
                if i < 6
                else ("18-39", "40-59", "60+")[int(rng.integers(3))]
            )
            latent = level + rng.normal(0, 12)
            dims = np.clip(latent + rng.normal(0, 6, 4), 0, 100).round(1)
            rows.append((v, t, adults, sex, age, *dims))
header = "org,township,adults,sex,age_group,dim:政治清明,dim:政府清廉,dim:干部清正,dim:社会清朗\n"
(HERE / "census.csv").write_text(
    header + "".join(",".join(map(str, r)) + "\n" for r in rows), encoding="utf-8"
)
(HERE / "census-population.csv").write_text(
    "org,age_group,sex,adults\n" + "".join(",".join(map(str, c)) + "\n" for c in cells),
    encoding="utf-8",
)
