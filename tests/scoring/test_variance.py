"""Variance methods and intervals beyond the reference suite, with R's numbers.

R 4.2.2 / survey 4.1.1, reference data (../shared/reference/data):
    des <- svydesign(ids = ~village, strata = ~township, weights = ~weight, fpc = ~fpc,
                     data = county, nest = TRUE)
    dc  <- svydesign(ids = ~dnum, weights = ~pw, fpc = ~fpc, data = apiclus1)
"""

import math

import numpy as np
import pytest
from scipy import stats

from scoring import ConfidenceInterval, Design, Estimate, mean, proportion, read_csv


@pytest.fixture(scope="module")
def lonely(reference_data):
    return read_csv(reference_data / "county1_lonely.csv")


def test_stratified_jackknife_scales_by_the_finite_population_correction(design):
    # SE(svymean(~score, as.svrepdesign(des, type = "JKn", mse = FALSE)))
    assert mean(design, "score", variance="jkn").se == pytest.approx(1.011798971365, rel=1e-9)


def test_unstratified_jackknife_scales_by_the_finite_population_correction(reference_data):
    # SE(svymean(~api00, as.svrepdesign(dc, type = "JK1", mse = FALSE)))
    api = read_csv(reference_data / "apiclus1.csv")
    design = Design(api, weights="pw", clusters="dnum", fpc="fpc")
    assert mean(design, "api00", variance="jk1").se == pytest.approx(26.32936058953, rel=1e-9)


def test_lonely_psu_adjust_in_domains_matches_r(lonely):
    # options(survey.lonely.psu = "adjust"); svymean(~score, subset(dl, sex == g))
    design = Design(
        lonely, weights="weight", strata="township", clusters="village", lonely_psu="adjust"
    )
    by_sex = mean(design, "score", by="sex")
    assert (by_sex["F"].estimate, by_sex["F"].se) == pytest.approx((57.18831557, 3.404206373))
    assert (by_sex["M"].estimate, by_sex["M"].se) == pytest.approx((57.42602309, 2.966706832))


@pytest.mark.parametrize(
    ("rule", "se"), [("adjust", 3.153406824269), ("certainty", 1.104983464632)]
)
def test_lonely_psu_with_the_stratified_jackknife_matches_r(lonely, rule, se):
    # options(survey.lonely.psu = rule); as.svrepdesign(dl, type = "JKn", mse = FALSE)
    design = Design(
        lonely, weights="weight", strata="township", clusters="village", lonely_psu=rule
    )
    assert mean(design, "score", variance="jkn").se == pytest.approx(se, rel=1e-9)


def test_logit_interval_from_jackknife_replicates_matches_r(design):
    # confint(svyciprop(~dissatisfied, jn, method = "logit", df = degf(des)))
    share = proportion(design, "dissatisfied", method="logit", variance="jkn")
    assert (share.ci.low, share.ci.high) == pytest.approx((0.02625245, 0.05484534), rel=1e-6)


def test_logit_interval_at_ninety_percent_matches_r(design):
    # confint(svyciprop(~dissatisfied, des, method = "logit", df = degf(des), level = 0.9))
    share = proportion(design, "dissatisfied", confidence_level=0.9)
    assert (share.ci.low, share.ci.high) == pytest.approx((0.02812899, 0.05128055), rel=1e-6)
    assert share.confidence_interval(0.9) == pytest.approx(share.ci)


@pytest.mark.parametrize(
    ("township", "ci", "degf"),
    [
        ("T04", (0.0584290694532721, 0.323065766690589), 2),
        ("T06", (0.00669310387109106, 0.0664040723426012), 5),
        ("T11", (4.99851619232651e-07, 0.0876302627956802), 3),
    ],
)
def test_beta_interval_of_a_small_domain_uses_its_own_degrees_of_freedom_as_r(
    design, township, ci, degf
):
    # s <- subset(des, township == t); svyciprop(~dissatisfied, s, method = "beta",
    #   df = degf(des)); R's beta method uses degf(s), not df, for the effective sample size.
    share = proportion(design, "dissatisfied", method="beta", by="township")[township]
    assert (share.ci.low, share.ci.high) == pytest.approx(ci, rel=1e-6)
    assert (share.domain_df, share.df) == (degf, 39)


def test_design_effect_matches_r(design):
    # deff(svymean(~score, des, deff = TRUE)); svyby(~score, ~sex, des, svymean, deff = TRUE)
    assert mean(design, "score").deff == pytest.approx(1.91788221836517, rel=1e-9)
    assert mean(design, "score", by="sex")["M"].deff == pytest.approx(2.80528128905803, rel=1e-9)


def test_without_weights_an_fpc_gives_the_sampling_weights_as_r(county):
    # svydesign(ids = ~village, strata = ~township, fpc = ~fpc, data = county, nest = TRUE)
    design = Design(county, strata="township", clusters="village", fpc="fpc")
    e = mean(design, "score")
    assert (e.estimate, e.se) == pytest.approx((56.68786684670, 1.038496061876), rel=1e-9)


def test_bootstrap_is_reproducible_from_its_seed_and_close_to_taylor(design):
    a = mean(design, "score", variance="bootstrap", replicates=400, seed=11)
    b = mean(design, "score", variance="bootstrap", replicates=400, seed=11)
    c = mean(design, "score", variance="bootstrap", replicates=400, seed=12)
    assert a == b and a.se != c.se
    # Rao-Wu ignores the fpc (as R's subbootstrap), so compare with the no-fpc Taylor SE.
    no_fpc = Design(design.columns, weights="weight", strata="township", clusters="village")
    assert a.se == pytest.approx(mean(no_fpc, "score").se, rel=0.15)


def test_bootstrap_replicate_factors_keep_each_stratum_total_in_expectation(design):
    from scoring.variance import subbootstrap

    reps = subbootstrap(design.layout, 2000, seed=5)
    n_h = design.layout.n_psu_in_stratum[design.layout.psu_stratum]
    # Each replicate draws n_h - 1 PSUs per stratum, rescaled by n_h/(n_h - 1): n_h in all.
    per_stratum = np.zeros((design.layout.n_strata, 2000))
    np.add.at(per_stratum, design.layout.psu_stratum, reps.factors)
    assert np.allclose(per_stratum, np.bincount(design.layout.psu_stratum)[:, None])
    assert reps.factors.mean() == pytest.approx(1, abs=0.01)
    assert n_h.min() >= 2


def test_confidence_interval_recomputes_from_estimate_se_and_df():
    e = Estimate(10.0, 2.0, ConfidenceInterval(6.0, 14.0), 0.95, 9, 10, 10)
    ci = e.confidence_interval(0.8)
    half = stats.t.ppf(0.9, 9) * 2
    assert (ci.low, ci.high) == pytest.approx((10 - half, 10 + half))


def test_an_se_of_zero_is_flagged_not_hidden():
    e = mean(Design({"y": np.full(5, 3.0)}), "y")
    assert e.se == 0 and e.has_zero_se
    assert not mean(Design({"y": np.arange(5.0)}), "y").has_zero_se


def test_estimates_are_frozen_slotted_dataclasses():
    e = mean(Design({"y": np.arange(5.0)}), "y")
    with pytest.raises(AttributeError):
        e.se = 0.0
    assert not hasattr(e, "__dict__")


def test_a_design_without_degrees_of_freedom_gives_no_interval():
    design = Design({"y": [1.0, 2.0], "v": ["a", "a"]}, clusters="v", lonely_psu="certainty")
    e = mean(design, "y")
    assert e.df == 0 and math.isnan(e.ci.low) and math.isnan(e.ci.high)


def test_a_replicate_share_of_one_does_not_collapse_the_logit_interval():
    # Deleting village a leaves only answers of 1: that replicate has no finite logit, so the
    # logit SE falls back to the delta method on the replicate SE instead of dropping it.
    columns = {
        "t": np.array(["T"] * 3),
        "v": np.array(["a", "a", "b"]),
        "w": np.array([3.311, 18.999, 6.581]),
        "y": np.array([0.0, 1, 1]),
    }
    design = Design(columns, weights="w", strata="t", clusters="v")
    share = proportion(design, "y", method="logit", variance="jkn", confidence_level=0.5)
    assert share.se > 0
    assert share.logit_se == pytest.approx(share.se / (share.estimate * (1 - share.estimate)))
    assert 0 < share.ci.low < share.estimate < share.ci.high < 1
