"""Rates, ranks, shrinkage and ballots: the pieces the indices are published with."""

import math

import numpy as np
import pytest

from scoring.ballots import tally_ballots
from scoring.ranks import rank_intervals
from scoring.rates import poisson_rate, rate_ratio
from scoring.small_area import fay_herriot, smoothed_sampling_variance

GRADES = ["优秀", "称职", "基本称职", "不称职"]
FLAGS = [
    {"grade": "不称职", "share_at_least": "1/3", "flag": "需组织考察"},
    {"grade": "不称职", "share_at_least": "1/2", "flag": "评为不称职"},
]


def test_garwood_interval_matches_r_poisson_test():
    # R: poisson.test(3, 1)$conf.int = 0.6186721 8.7672731
    r = poisson_rate(3, 1000)
    assert (r.ci.low, r.ci.high) == pytest.approx((0.6186721, 8.7672731), abs=1e-6)


def test_zero_events_give_a_zero_rate_with_a_positive_upper_end():
    r = poisson_rate(0, 500)
    assert r.rate == 0 and r.ci.low == 0 and r.ci.high == pytest.approx(7.377759, rel=1e-6)


def test_rate_ratio_interval_matches_r_poisson_test():
    # R: poisson.test(c(10, 20), c(1000, 1000))$conf.int = 0.2090060 1.1191830
    rr = rate_ratio(10, 1000, 20, 1000)
    assert (rr.ci.low, rr.ci.high) == pytest.approx((0.2090060, 1.1191830), abs=1e-6)
    assert rr.verdict == "持平"


def test_a_change_from_zero_to_one_is_not_an_infinite_percentage_rise():
    rr = rate_ratio(1, 1000, 0, 1000)
    assert math.isinf(rr.ci.high) and rr.verdict == "持平"


def test_a_clear_fall_in_petitions_is_a_fall():
    assert rate_ratio(20, 10_000, 80, 10_000).verdict == "降"


def test_rank_intervals_are_seeded_and_exact_for_well_separated_units():
    first = rank_intervals([50.0, 70.0, 90.0], [1.0, 1.0, 1.0], seed=3)
    assert [(r.rank, r.low, r.high) for r in first] == [(3, 3, 3), (2, 2, 2), (1, 1, 1)]
    close = rank_intervals([80.0, 80.5, 81.0], [3.0, 3.0, 3.0], seed=3)
    assert close == rank_intervals([80.0, 80.5, 81.0], [3.0, 3.0, 3.0], seed=3)
    assert all(r.low == 1 and r.high == 3 for r in close)


def test_fay_herriot_keeps_a_census_village_at_its_direct_value():
    fit = fay_herriot([70.0, 80, 90, 60, 75], [25.0, 25, 25, 25, 0.0])
    assert fit.areas[4].estimate == pytest.approx(75.0)
    assert fit.areas[4].shrinkage == pytest.approx(0.0)


def test_fay_herriot_beats_the_direct_estimates_on_small_samples():
    # 400 areas, true means N(75, 4²), 8 respondents each with sd 15: shrinkage must cut the
    # mean squared error of the direct estimates, and its intervals must roughly cover.
    rng = np.random.default_rng(11)
    truth = rng.normal(75, 4, 400)
    n = np.full(400, 8.0)
    direct = truth + rng.normal(0, 15 / np.sqrt(n))
    d = smoothed_sampling_variance(n, 15.0**2)
    fit = fay_herriot(direct, d)
    eb = np.array([a.estimate for a in fit.areas])
    assert np.mean((eb - truth) ** 2) < 0.6 * np.mean((direct - truth) ** 2)
    covered = np.mean([a.ci.low <= t <= a.ci.high for a, t in zip(fit.areas, truth, strict=True)])
    assert 0.90 < covered < 0.99
    assert all(a.label == "收缩估计（模型估计）" for a in fit.areas)


def test_a_ballot_of_every_eligible_voter_is_a_census_without_intervals():
    t = tally_ballots("c", ["称职"] * 5 + ["优秀"], GRADES, eligible=6, quorum="2/3", flags=FLAGS)
    assert t.is_census and all(g.ci is None for g in t.grades)
    assert "普查" in t.note and t.turnout == 1 and t.quorum_met


@pytest.mark.parametrize(
    ("unfit", "valid", "flags"),
    [
        (1, 3, ("需组织考察",)),
        (2, 6, ("需组织考察",)),
        (33, 100, ()),
        (3, 6, ("需组织考察", "评为不称职")),
    ],
)
def test_the_one_third_threshold_is_an_exact_count_test(unfit, valid, flags):
    votes = ["不称职"] * unfit + ["称职"] * (valid - unfit)
    assert tally_ballots("c", votes, GRADES, flags=FLAGS).flags == flags


def test_sampled_ballots_get_intervals_inside_zero_and_one():
    t = tally_ballots("c", ["称职"] * 8, GRADES, is_sample=True)
    shares = {g.grade: g for g in t.grades}
    assert shares["称职"].ci.high == 1.0 and shares["称职"].ci.low < 1
    assert shares["不称职"].ci.low == 0.0 and shares["不称职"].ci.high > 0


def test_turnout_below_quorum_is_reported():
    t = tally_ballots("c", ["称职"] * 5, GRADES, eligible=9, quorum="2/3")
    assert t.quorum_met is False and t.turnout == pytest.approx(5 / 9)


def test_rater_means_from_one_grouping_equal_one_mean_per_subject():
    from scoring.indices import _srs, _srs_by

    rng = np.random.default_rng(7)
    subjects = rng.choice(["", "m1", "m2", "m3", "m4"], size=60, p=[0.1, 0.1, 0.2, 0.3, 0.3])
    scores = rng.choice([0.0, 30.0, 60.0, 80.0, 100.0, 100 / 3, np.nan], size=60)
    grouped = _srs_by(subjects, scores, 0.95)
    assert grouped == {s: _srs(scores[subjects == s], 0.95) for s in ("m1", "m2", "m3", "m4")}
