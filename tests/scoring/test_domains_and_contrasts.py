"""Domains, contrasts between them, and differences between independent waves.

R numbers below come from R 4.2.2 / survey 4.1.1 on the reference county (county1.csv):
    des <- svydesign(ids = ~village, strata = ~township, weights = ~weight, fpc = ~fpc,
                     data = county, nest = TRUE)
"""

import json
import math

import numpy as np
import pytest
from scipy import stats

from scoring import Design, contrast, difference, mean, proportion, rake, ratio


def test_domain_difference_uses_the_full_design_covariance_as_svycontrast(design):
    # b <- svyby(~score, ~sex, des, svymean, covmat = TRUE); svycontrast(b, c(F = 1, M = -1))
    d = contrast(design, "score", by="sex", coefficients={"F": 1, "M": -1})
    assert (d.estimate, d.se) == pytest.approx((-1.621409298394, 2.476825954447), rel=1e-9)
    half = stats.t.ppf(0.975, 39) * d.se
    assert (d.ci.low, d.ci.high) == pytest.approx((d.estimate - half, d.estimate + half))
    assert (d.df, d.n) == (39, 923)


def test_domain_difference_with_jackknife_replicates_matches_r(design):
    # jn <- as.svrepdesign(des, type = "JKn", mse = FALSE); the same svycontrast
    d = contrast(design, "score", by="sex", coefficients={"F": 1, "M": -1}, variance="jkn")
    assert (d.estimate, d.se) == pytest.approx((-1.621409298394, 2.514363669335), rel=1e-9)


def test_domain_difference_is_not_the_independent_samples_difference(design):
    # The two sexes share villages, so their means covary: treating them as independent
    # samples gives another SE, which is why contrast() exists.
    by_sex = mean(design, "score", by="sex")
    naive = math.hypot(by_sex["F"].se, by_sex["M"].se)
    d = contrast(design, "score", by="sex", coefficients={"F": 1, "M": -1})
    assert d.estimate == pytest.approx(by_sex["F"].estimate - by_sex["M"].estimate)
    assert abs(d.se - naive) > 0.01 * naive


def test_a_domain_contrast_of_one_level_is_that_domain_estimate(design):
    by_age = mean(design, "score", by="age_group")
    only = contrast(design, "score", by="age_group", coefficients={"60+": 1})
    assert (only.estimate, only.se, only.n) == pytest.approx(
        (by_age["60+"].estimate, by_age["60+"].se, by_age["60+"].n)
    )


def test_contrast_names_an_unknown_level(design):
    with pytest.raises(ValueError, match=r"column 'sex' has no level 'X'"):
        contrast(design, "score", by="sex", coefficients={"X": 1})


def test_ratio_by_domain_matches_svyby_svyratio(design):
    # svyby(~complaints, ~sex, des, svyratio, denominator = ~household_size)
    r = ratio(design, "complaints", "household_size", by="sex")
    assert (r["F"].estimate, r["F"].se) == pytest.approx((0.114778010922769, 0.0166707196705292))
    assert (r["M"].estimate, r["M"].se) == pytest.approx((0.125706029184711, 0.00853618191228018))


def test_domains_are_keyed_by_level_strings_in_sorted_order(design):
    result = mean(design, "score", by="township")
    assert list(result) == sorted(result) == [f"T{i:02d}" for i in range(1, 13)]
    numeric = mean(Design({"y": [1.0, 2, 3, 4], "g": [2.0, 10, 2, 10]}), "y", by="g")
    assert list(numeric) == ["10", "2"]


def test_rows_with_an_empty_value_drop_out_as_a_domain_would():
    y = np.array([1.0, np.nan, 3, 4, np.nan, 6])
    columns = {"y": y, "v": np.array(list("aabbcc")), "w": np.ones(6)}
    with_holes = mean(Design(columns, weights="w", clusters="v"), "y")
    as_domain = mean(
        Design(dict(columns, present=~np.isnan(y)), weights="w", clusters="v"), "y", by="present"
    )
    assert (with_holes.estimate, with_holes.se, with_holes.n) == pytest.approx(
        (as_domain["TRUE"].estimate, as_domain["TRUE"].se, 4)
    )


def test_rows_with_an_empty_group_belong_to_no_domain():
    columns = {"y": np.arange(6.0), "g": np.array(["a", "b", "", "a", "b", "a"])}
    result = mean(Design(columns), "y", by="g")
    assert list(result) == ["a", "b"] and result["a"].n + result["b"].n == 5


def test_difference_between_independent_waves_adds_variances_and_degrees_of_freedom(design, county):
    wave1 = mean(design, "score")
    shifted = dict(county, score=county["score"] + 2.5)
    wave2 = mean(
        Design(shifted, weights="weight", strata="township", clusters="village", fpc="fpc"), "score"
    )
    d = difference(wave2, wave1)
    assert d.estimate == pytest.approx(2.5)
    assert d.se == pytest.approx(math.sqrt(2) * wave1.se)
    assert (d.df, d.n) == (78, 2 * 923)
    half = stats.t.ppf(0.975, 78) * d.se
    assert (d.ci.low, d.ci.high) == pytest.approx((2.5 - half, 2.5 + half))


def test_difference_of_stacked_waves_equals_one_design_with_wave_strata():
    # Two independent samples stacked, with wave x township as strata, are one design; the
    # wave contrast of that design is the difference of the waves' own estimates.
    rng = np.random.default_rng(4)
    waves = []
    for wave in ("1", "2"):
        n = 60
        waves.append(
            {
                "wave": np.full(n, wave),
                "township": np.char.add(wave, np.repeat(["A", "B"], 30)),
                "village": np.char.add(wave, np.repeat(np.arange(12).astype(str), 5)),
                "w": rng.uniform(1, 3, n),
                "y": rng.normal(float(wave), 1, n),
            }
        )
    stacked = {k: np.concatenate([w[k] for w in waves]) for k in waves[0]}
    one = Design(stacked, weights="w", strata="township", clusters="village")
    in_one = contrast(one, "y", by="wave", coefficients={"2": 1, "1": -1})
    apart = [
        mean(Design(w, weights="w", strata="township", clusters="village"), "y") for w in waves
    ]
    d = difference(apart[1], apart[0])
    assert (d.estimate, d.se, d.df) == pytest.approx((in_one.estimate, in_one.se, in_one.df))


def test_a_raked_domain_share_matches_r(design, reference_data):
    # The reference case county1_rake_by_sex checks the Wald interval; this checks the logit
    # interval on the same raked design: confint(svyciprop(~dissatisfied,
    #   subset(raked, sex == "F"), method = "logit", df = 39))
    margins = json.loads((reference_data / "county1.margins.json").read_text())
    raked = rake(design, margins)
    share = proportion(raked, "dissatisfied", by="sex", method="logit")["F"]
    assert share.estimate == pytest.approx(0.0245072902645092, rel=1e-9)
    assert share.se == pytest.approx(0.00935640238580175, rel=1e-7)
    assert (share.ci.low, share.ci.high) == pytest.approx(R_RAKED_LOGIT_F, rel=1e-6)


R_RAKED_LOGIT_F = (0.0112553080316249, 0.0525331378418293)


def test_a_raked_domain_share_beta_interval_matches_r_including_its_row_count(
    design, reference_data
):
    # confint(svyciprop(~dissatisfied, subset(raked, sex == "F"), method = "beta", df = 39));
    # R's nrow() of that subset is all 923 rows (a raked subset keeps them at weight 0).
    margins = json.loads((reference_data / "county1.margins.json").read_text())
    share = proportion(rake(design, margins), "dissatisfied", by="sex", method="beta")["F"]
    assert (share.ci.low, share.ci.high) == pytest.approx(
        (0.00931188277806516, 0.0517040612936081), rel=1e-6
    )
    assert (share.n, share.design_rows) == (443, 923)


def _villages_raked_within_each(seed=3):
    """Villages as strata (respondents the PSUs, with fpc), raked on sex inside each village;
    townships group the villages. One village has a single respondent (a lonely PSU)."""
    rng = np.random.default_rng(seed)
    sizes = [12, 7, 1, 20, 9, 15, 4]
    village = np.repeat([f"v{j}" for j in range(len(sizes))], sizes)
    township = np.repeat(["t1", "t1", "t2", "t2", "t2", "t3", "t3"], sizes)
    n = village.size
    sex = np.where(np.arange(n) % 3 == 0, "F", "M")
    sex[village == "v2"] = "F"
    y = rng.normal(70, 12, n)
    y[rng.random(n) < 0.1] = np.nan
    adults = np.repeat([300.0, 80, 50, 900, 120, 400, 60], sizes)
    counts = dict(zip(*np.unique(village, return_counts=True), strict=True))
    rows = {
        "village": village,
        "township": township,
        "sex": np.char.add(np.char.add(village, "|"), sex),
        "y": y,
        "pass": np.where(np.isnan(y), np.nan, (y > 75).astype(float)),
        "adults": adults,
        "w": adults / np.array([counts[v] for v in village]),
    }
    design = Design(rows, weights="w", strata="village", fpc="adults", lonely_psu="adjust")
    margins = {}
    for v, a in zip(village, adults, strict=True):
        for s, share in (("F", 0.52), ("M", 0.48)):
            if f"{v}|{s}" in set(rows["sex"]):
                margins[f"{v}|{s}"] = a * (1.0 if v == "v2" else share)
    return rake(design, {"sex": margins})


@pytest.mark.parametrize("by", ["village", "township"])
@pytest.mark.parametrize("statistic", ["mean", "proportion"])
def test_domains_made_of_whole_strata_match_the_dense_computation(by, statistic):
    # Domains that are unions of strata (and of raking cells) are estimated stratum by
    # stratum; the dense rows x domains computation must give the same numbers, up to the
    # order of summation (1e-9 relative).
    from scoring.estimators import _estimate, _Options

    design = _villages_raked_within_each()
    var = "y" if statistic == "mean" else "pass"
    y = design.columns[var].astype(float)
    x = np.where(np.isnan(y), np.nan, 1.0)
    options = _Options(0.95, "taylor", 500, None)
    fast = _estimate(design, y, x, by, options)
    dense = _estimate(design, y, x, by, options, per_stratum=False)
    assert fast.sums is None and dense.sums is not None
    assert fast.labels == dense.labels
    np.testing.assert_allclose(fast.estimate, dense.estimate, rtol=1e-12)
    np.testing.assert_allclose(fast.covariance, dense.covariance, rtol=1e-9, atol=1e-12)
    assert fast.n.tolist() == dense.n.tolist()
    assert fast.n_psu.tolist() == dense.n_psu.tolist()
    assert fast.domain_df.tolist() == dense.domain_df.tolist()
    published = {"mean": mean, "proportion": proportion}[statistic](design, var, by=by)
    assert set(published) == set(fast.labels)


def test_domains_that_cut_across_strata_use_the_dense_computation():
    from scoring.estimators import _domain_of_each_stratum

    design = _villages_raked_within_each()
    domain = (np.arange(design.n_rows) % 2).astype(int)
    assert _domain_of_each_stratum(design, domain, 2) is None
