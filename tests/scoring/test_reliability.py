"""Cronbach's alpha (Feldt interval) and McDonald's omega.

Reference numbers come from R 4 (psych 2.2.9, lavaan, stats::factanal) run once on the data
below; the R code is quoted next to each number so it can be rerun. The tests do not need R.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from scoring.reliability import cronbach_alpha, mcdonald_omega, reliability

# 30 respondents x 5 five-point items, one digit per item. In R:
# x <- as.data.frame(do.call(rbind, lapply(strsplit(ROWS, ""), as.numeric)))
ROWS = """
44334 43335 23233 12122 43324 43553 55555 35455 42233 33434 44432 43323 23133 33235 33113
44242 32132 34432 54343 32232 23422 34334 33123 23322 24332 31332 22312 33324 44534 24322
""".split()
ITEMS = ["q1", "q2", "q3", "q4", "q5"]
# y <- x; y[1,2] <- NA; y[4,5] <- NA; y[8,3] <- NA; y[13,1] <- NA; y[21,5] <- NA; y[26,4] <- NA
SKIPPED = [(0, 1), (3, 4), (7, 2), (12, 0), (20, 4), (25, 3)]


def likert_columns(skipped=()):
    answers = np.array([[int(digit) for digit in row] for row in ROWS], dtype=float)
    for row, item in skipped:
        answers[row, item] = np.nan
    return {name: answers[:, i] for i, name in enumerate(ITEMS)}


def one_factor_columns(n, loadings, seed):
    generator = np.random.default_rng(seed)
    factor = generator.normal(size=n)
    return {
        f"q{i}": loading * factor + generator.normal(size=n) for i, loading in enumerate(loadings)
    }


# Alpha


def test_alpha_matches_a_hand_computation_on_five_respondents():
    # Item variances 2.5, 2.3, 1.5 (sum 6.3); totals 4 7 9 13 14 have variance 17.3, so
    # alpha = 3/2 * (1 - 6.3/17.3) = 165/173.
    columns = {"q1": [1, 2, 3, 4, 5], "q2": [2, 2, 3, 5, 5], "q3": [1, 3, 3, 4, 4]}
    result = cronbach_alpha(columns, ["q1", "q2", "q3"])
    f = stats.f(4, 8)
    assert result.estimate == pytest.approx(165 / 173, rel=1e-14)
    assert result.ci.low == pytest.approx(1 - 8 / 173 * f.ppf(0.975), rel=1e-12)
    assert result.ci.high == pytest.approx(1 - 8 / 173 * f.ppf(0.025), rel=1e-12)
    assert (result.n, result.k, result.confidence_level) == (5, 3, 0.95)


def test_alpha_and_its_feldt_interval_match_psych_alpha():
    result = cronbach_alpha(likert_columns(), ITEMS)
    # a <- psych::alpha(x); a$total$raw_alpha; a$feldt$lower.ci; a$feldt$upper.ci
    assert result.estimate == pytest.approx(0.775153176394711, rel=1e-12)
    assert result.ci.low == pytest.approx(0.616825882766185, rel=1e-12)
    assert result.ci.high == pytest.approx(0.880951867146246, rel=1e-12)


def test_feldt_interval_at_another_level_matches_psych_alpha_ci():
    result = cronbach_alpha(likert_columns(), ITEMS)
    # psych::alpha.ci(a$total$raw_alpha, n.obs = 30, n.var = 5, p.val = .10)
    interval = result.confidence_interval(0.90)
    assert (interval.low, interval.high) == pytest.approx(
        (0.648042389835551, 0.867744768431311), rel=1e-12
    )


def test_alpha_with_skipped_answers_uses_pairwise_covariances_as_psych_alpha_does():
    result = cronbach_alpha(likert_columns(SKIPPED), ITEMS)
    # psych::alpha(y)$total$raw_alpha
    assert result.estimate == pytest.approx(0.752530948922481, rel=1e-12)


def test_alpha_interval_with_skipped_answers_counts_the_fewest_respondents_behind_a_pair():
    # q4 and q5 are both answered by 30 - 3 respondents; psych would use all 30 rows.
    result = cronbach_alpha(likert_columns(SKIPPED), ITEMS)
    assert result.n == 27
    assert result.ci == result.confidence_interval(0.95)
    narrower = stats.f(29, 29 * 4).ppf(0.975)
    assert result.ci.low < 1 - (1 - result.estimate) * narrower


def test_complete_case_alpha_uses_only_respondents_who_answered_every_item():
    columns = likert_columns(SKIPPED)
    complete = ~np.isnan(np.column_stack(list(columns.values()))).any(axis=1)
    kept = {name: values[complete] for name, values in columns.items()}
    result = cronbach_alpha(columns, ITEMS, missing="complete")
    assert result.n == 24
    assert result.estimate == pytest.approx(cronbach_alpha(kept, ITEMS).estimate, rel=1e-12)


def test_feldt_interval_covers_the_population_alpha_95_percent_of_the_time():
    # Feldt's interval is exact for parallel normal items. 2,000 samples put the binomial
    # SD of the coverage at 0.49 %, so the 93.5-96.5 % band is +-3.1 SD and a correct
    # interval fails it about one seed in 500.
    k, n, loading = 5, 40, 0.8
    population_alpha = k * loading**2 / (k * loading**2 + 1)
    generator = np.random.default_rng(20240611)
    covered = 0
    for _ in range(2000):
        factor = generator.normal(size=(n, 1))
        answers = loading * factor + generator.normal(size=(n, k))
        columns = {f"q{i}": answers[:, i] for i in range(k)}
        ci = cronbach_alpha(columns, list(columns)).ci
        covered += ci.low <= population_alpha <= ci.high
    assert 0.935 <= covered / 2000 <= 0.965


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), shift=st.floats(-100, 100))
def test_reordering_respondents_or_shifting_an_item_leaves_alpha_unchanged(seed, shift):
    columns = likert_columns(SKIPPED)
    order = np.random.default_rng(seed).permutation(30)
    moved = {name: values[order] for name, values in columns.items()}
    moved["q3"] = moved["q3"] + shift
    assert cronbach_alpha(moved, ITEMS).estimate == pytest.approx(
        cronbach_alpha(columns, ITEMS).estimate, rel=1e-9
    )


@settings(max_examples=50, deadline=None)
@given(low_level=st.floats(0.5, 0.98), step=st.floats(0.001, 0.019))
def test_a_higher_confidence_level_gives_a_wider_feldt_interval_around_alpha(low_level, step):
    result = cronbach_alpha(likert_columns(), ITEMS)
    narrow = result.confidence_interval(low_level)
    wide = result.confidence_interval(low_level + step)
    assert wide.low < narrow.low < result.estimate < narrow.high < wide.high


# Omega


def test_omega_matches_a_one_factor_cfa_in_lavaan():
    result = mcdonald_omega(likert_columns(), ITEMS, n_boot=50, rng=1)
    # m <- lavaan::cfa("f =~ q1+q2+q3+q4+q5", data = x, std.lv = TRUE)
    # l, th <- loadings and residual variances; sum(l)^2 / (sum(l)^2 + sum(th))
    # lavaan stops its optimiser at about 1e-6 relative, hence the tolerance.
    assert result.estimate == pytest.approx(0.777324827020476, rel=2e-6)
    assert (result.n, result.k) == (30, 5)


def test_omega_loadings_and_uniquenesses_match_factanal():
    result = mcdonald_omega(likert_columns(), ITEMS, n_boot=50, rng=1)
    # f <- factanal(covmat = cor(x), factors = 1, n.obs = 30)
    loadings = [0.662854358567164, 0.66301620348517, 0.628638698469458, 0.716512410787567,
                0.554193377669997]  # fmt: skip
    uniquenesses = [0.560621811609116, 0.560411649824417, 0.604813659927115,
                    0.486607907930957, 0.692867152958192]  # fmt: skip
    assert result.loadings == pytest.approx(loadings, abs=1e-5)
    assert result.uniquenesses == pytest.approx(uniquenesses, abs=1e-5)


def test_omega_with_skipped_answers_fits_the_pairwise_covariances():
    result = mcdonald_omega(likert_columns(SKIPPED), ITEMS, n_boot=50, rng=1)
    # cp <- cov(y, use = "pairwise"); f <- factanal(covmat = cov2cor(cp), factors = 1)
    # l <- f$loadings[, 1] * sqrt(diag(cp)); u <- f$uniquenesses * diag(cp)
    # sum(l)^2 / (sum(l)^2 + sum(u))
    assert result.estimate == pytest.approx(0.755701169977796, rel=1e-6)
    assert result.loadings[3] == pytest.approx(0.766964101089465, abs=1e-5)
    assert result.n == 27


def test_omega_equals_alpha_when_items_are_tau_equivalent():
    # With a sample covariance matrix of exactly equal variances and equal covariances the
    # one-factor model fits exactly with equal loadings, and then omega is alpha.
    generator = np.random.default_rng(7)
    noise = generator.normal(size=(200, 4))
    noise -= noise.mean(axis=0)
    white = noise @ np.linalg.inv(np.linalg.cholesky(np.cov(noise, rowvar=False))).T
    target = np.full((4, 4), 0.6) + 0.4 * np.eye(4)
    answers = white @ np.linalg.cholesky(target).T
    columns = {f"q{i}": answers[:, i] for i in range(4)}
    items = list(columns)
    omega = mcdonald_omega(columns, items, n_boot=20, rng=1)
    assert omega.estimate == pytest.approx(cronbach_alpha(columns, items).estimate, rel=1e-7)
    assert omega.loadings == pytest.approx([np.sqrt(0.6)] * 4, rel=1e-5)


def test_omega_is_the_same_whatever_unit_the_items_are_recorded_in():
    columns = one_factor_columns(400, [1.0, 0.8, 0.6, 0.4], seed=3)
    items = list(columns)
    rescaled = {name: 10 * values + 50 for name, values in columns.items()}
    assert mcdonald_omega(rescaled, items, n_boot=20, rng=1).estimate == pytest.approx(
        mcdonald_omega(columns, items, n_boot=20, rng=1).estimate, rel=1e-9
    )


def test_omega_bootstrap_interval_is_reproducible_from_its_seed_and_surrounds_the_estimate():
    columns = one_factor_columns(300, [1.0, 0.8, 0.6, 0.4], seed=4)
    first = mcdonald_omega(columns, list(columns), n_boot=300, rng=11)
    again = mcdonald_omega(columns, list(columns), n_boot=300, rng=11)
    assert first.ci == again.ci
    assert first.ci.low < first.estimate < first.ci.high
    assert first.n_boot == 300


def test_omega_without_bootstrap_gives_the_same_estimate_and_no_interval():
    columns = one_factor_columns(300, [1.0, 0.8, 0.6, 0.4], seed=4)
    full = mcdonald_omega(columns, list(columns), n_boot=50, rng=11)
    bare = mcdonald_omega(columns, list(columns), n_boot=0)
    assert bare.estimate == full.estimate and bare.loadings == full.loadings
    assert bare.n_boot == 0 and math.isnan(bare.ci.low) and math.isnan(bare.ci.high)


def test_omega_of_items_loading_unequally_is_above_alpha():
    # Alpha is a lower bound of reliability when loadings differ (congeneric items).
    columns = one_factor_columns(2000, [1.5, 1.0, 0.5, 0.3], seed=5)
    items = list(columns)
    assert mcdonald_omega(columns, items, n_boot=20, rng=1).estimate > (
        cronbach_alpha(columns, items).estimate
    )


# Per dimension


def test_reliability_reports_each_dimension_and_no_omega_for_two_items():
    columns = one_factor_columns(300, [1, 1, 1], seed=6) | {
        "v0": np.arange(300.0) % 7,
        "v1": np.arange(300.0) % 7 + np.random.default_rng(8).normal(size=300),
    }
    result = reliability(columns, {"trust": ["q0", "q1", "q2"], "voice": ["v0", "v1"]},
                         n_boot=50, rng=9)  # fmt: skip
    assert list(result) == ["trust", "voice"]
    assert result["trust"].alpha == cronbach_alpha(columns, ["q0", "q1", "q2"])
    assert result["trust"].omega.k == 3
    assert result["voice"].omega is None
    assert result["voice"].alpha.k == 2


def test_reliability_error_names_the_dimension():
    with pytest.raises(ValueError, match=r"dimension 'voice': items: column 'v9' is not in"):
        reliability(likert_columns(), {"all": ITEMS, "voice": ["q1", "v9"]}, n_boot=10)


# Bad input


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda c: cronbach_alpha(c, ["q1"]), r"items: got 1 \('q1'\); alpha needs at least 2"),
        (lambda c: cronbach_alpha(c, ["q1", "q9"]), r"column 'q9' is not in columns \(q1, "),
        (lambda c: cronbach_alpha(c, ["q1", "q2", "q1"]), r"'q1' listed more than once"),
        (lambda c: mcdonald_omega(c, ["q1", "q2"]), r"got 2 .*omega needs at least 3 items"),
        (
            lambda c: cronbach_alpha(c, ITEMS, confidence_level=95),
            r"confidence_level \(95\) must be between 0 and 1",
        ),
        (lambda c: cronbach_alpha(c, ITEMS, missing="listwise"), r"missing \('listwise'\)"),
        (lambda c: mcdonald_omega(c, ITEMS, n_boot=-1), r"n_boot \(-1\) must be a whole number"),
    ],
)
def test_bad_arguments_are_refused_with_what_is_allowed(call, message):
    with pytest.raises(ValueError, match=message):
        call(likert_columns())


def test_items_given_as_one_string_are_refused():
    with pytest.raises(TypeError, match=r"items must be a sequence of column names"):
        cronbach_alpha(likert_columns(), "q1")


def test_text_answers_are_refused_naming_the_column():
    columns = likert_columns() | {"q2": np.array(["agree"] * 30)}
    with pytest.raises(TypeError, match=r"column 'q2' has dtype <U5; answers must be numbers"):
        cronbach_alpha(columns, ITEMS)


def test_columns_of_different_lengths_are_refused():
    columns = likert_columns() | {"q5": np.ones(29)}
    with pytest.raises(ValueError, match=r"different lengths .*'q5': 29"):
        cronbach_alpha(columns, ITEMS)


def test_infinite_answers_are_refused_naming_the_first_row():
    columns = likert_columns()
    columns["q4"][[6, 9]] = np.inf
    with pytest.raises(ValueError, match=r"'q4' has 2 infinite values \(first at row 6\)"):
        cronbach_alpha(columns, ITEMS)


def test_fewer_than_three_respondents_behind_a_pair_is_refused():
    columns = {"q1": [1.0, 2, 3, np.nan], "q2": [np.nan, 1.0, 3, 4], "q3": [1.0, 2, 3, 4]}
    with pytest.raises(ValueError, match=r"only 2 respondents answered both 'q1' and 'q2'"):
        cronbach_alpha(columns, ["q1", "q2", "q3"])


def test_fewer_than_three_complete_respondents_is_refused():
    columns = {"q1": [1.0, 2, 3, np.nan], "q2": [np.nan, 1.0, 3, 4], "q3": [1.0, 2, 3, 4]}
    with pytest.raises(ValueError, match=r"only 2 respondents answered every item"):
        cronbach_alpha(columns, ["q1", "q2", "q3"], missing="complete")


def test_a_total_score_without_variance_is_refused():
    columns = {"q1": [1.0, 2, 3, 4], "q2": [4.0, 3, 2, 1]}
    with pytest.raises(ValueError, match=r"total of 'q1', 'q2' has zero variance"):
        cronbach_alpha(columns, ["q1", "q2"])


def test_omega_refuses_an_item_that_never_varies():
    columns = likert_columns() | {"q3": np.full(30, 3.0)}
    with pytest.raises(ValueError, match=r"'q3' has zero variance; omega needs every item"):
        mcdonald_omega(columns, ITEMS)


def test_omega_refuses_an_item_that_is_the_sum_of_others():
    columns = likert_columns()
    columns["q5"] = columns["q1"] + columns["q2"]
    with pytest.raises(ValueError, match=r"is not positive definite"):
        mcdonald_omega(columns, ITEMS)
