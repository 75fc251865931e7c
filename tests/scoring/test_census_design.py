"""Townships whose every village the wave surveyed: villages are strata, not sampled PSUs.

A census at stage one leaves no sampling error between villages, so the township's
variance is the sum of its villages' (each a sample of adults, with fpc, raked within the
village), df = respondents - villages. Where the wave sampled villages, they stay the
township's PSUs. The numbers come from R (data/census/census.R, stored in
census-expected.json); R is not needed to run these tests.
"""

import json
from pathlib import Path

import numpy as np
import pytest

from scoring import read_csv
from scoring.indices import (
    VILLAGE_DESIGN,
    VILLAGES_AS_CLUSTERS,
    VILLAGES_AS_STRATA,
    compute_all_levels,
)
from tests.scoring.test_indices import SPEC

DATA = Path(__file__).parent / "data" / "census"
EXPECTED = json.loads((DATA / "census-expected.json").read_text(encoding="utf-8"))


def table(sampled=()):
    columns = read_csv(DATA / "census.csv")
    n = len(columns["org"])
    return {
        "period": np.full(n, "current"),
        "instrument": np.full(n, "citizen_approval"),
        "subject": np.full(n, ""),
        **columns,
        "village_census": np.where(np.isin(columns["township"], sampled), 0.0, 1.0),
    }


def population():
    cells = read_csv(DATA / "census-population.csv")
    return [
        {"org": o, "age_group": a, "sex": s, "adults": float(x)}
        for o, a, s, x in zip(
            cells["org"], cells["age_group"], cells["sex"], cells["adults"], strict=True
        )
    ]


def approval(reports, level, unit):
    return next(r for r in reports[level].results if r.index == "approval" and r.unit == unit)


def assert_matches_r(result, expected, rel):
    e = result.estimate
    assert (e.estimate, e.se) == pytest.approx((expected["estimate"], expected["se"]), rel=rel)
    assert e.df == expected["df"]


@pytest.mark.parametrize(
    ("case", "raked", "rel"), [("census_raked", True, 1e-9), ("census_unraked", False, 1e-11)]
)
def test_townships_surveyed_in_every_village_have_villages_as_strata_as_r(case, raked, rel):
    # R: svydesign(ids = ~1, strata = ~org, fpc = ~adults, weights = ~w), raked within each
    # village; svymean(~composite, subset(design, township == t)), degf of that subset.
    reports = compute_all_levels(table(), SPEC, population=population() if raked else None)
    for t, expected in EXPECTED[case]["townships"].items():
        result = approval(reports, "township", t)
        assert result.design == VILLAGES_AS_STRATA
        assert any("村为层" in note for note in result.notes)
        assert_matches_r(result, expected, rel)
    county = approval(reports, "county", "county")
    assert county.design == VILLAGES_AS_STRATA
    assert_matches_r(county, EXPECTED[case]["county"], rel)
    if raked:
        assert not any("未加权" in note for note in reports["county"].notes)


@pytest.mark.parametrize(
    ("case", "raked", "rel"),
    [("t3_sampled_raked", True, 1e-9), ("t3_sampled_unraked", False, 1e-11)],
)
def test_a_township_with_only_some_villages_surveyed_keeps_villages_as_clusters(case, raked, rel):
    # R: svydesign(ids = ~org, strata = ~township, weights = ~w) with the raked weights as
    # plain weights; the county stacks T1, T2 (villages as strata) and T3 (one stratum).
    reports = compute_all_levels(
        table(sampled=["T3"]), SPEC, population=population() if raked else None
    )
    t3 = approval(reports, "township", "T3")
    assert t3.design == VILLAGES_AS_CLUSTERS
    assert_matches_r(t3, EXPECTED[case]["townships"]["T3"], rel)
    assert approval(reports, "township", "T1").design == VILLAGES_AS_STRATA
    if "county" in EXPECTED[case]:
        county = approval(reports, "county", "county")
        assert county.design == "mixed"
        assert_matches_r(county, EXPECTED[case]["county"], rel)


def test_the_same_township_sampled_or_surveyed_in_full_differs_in_se_and_df_only():
    # Whether the villages are a sample or all of them changes what counts as sampling
    # error (the spread between 4 villages, df 3; or within them, df 66 - 4), not the mean.
    census = approval(compute_all_levels(table(), SPEC), "township", "T1").estimate
    sampled = approval(compute_all_levels(table(["T1"]), SPEC), "township", "T1").estimate
    assert census.estimate == pytest.approx(sampled.estimate, rel=1e-12)
    assert (sampled.df, census.df) == (3, 62)
    assert census.se != pytest.approx(sampled.se, rel=0.01)


def test_without_the_census_column_villages_stay_clusters():
    columns = table()
    del columns["village_census"]
    reports = compute_all_levels(columns, SPEC)
    assert approval(reports, "township", "T1").design == VILLAGES_AS_CLUSTERS
    assert approval(reports, "village", "T1V0").design == VILLAGE_DESIGN
