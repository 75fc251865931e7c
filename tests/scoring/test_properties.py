"""Properties any design-based estimator must have, checked on random samples."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from scoring import Design, estimate_from_psu_totals, mean, proportion, ratio, total

settings.register_profile("scoring", max_examples=40, deadline=None)
settings.load_profile("scoring")


@st.composite
def samples(draw, binary=False, min_villages=2):
    """A stratified cluster sample: 1-4 townships of 2-5 villages of 1-6 respondents."""
    n_strata = draw(st.integers(1, 4))
    villages = [draw(st.integers(min_villages, 5)) for _ in range(n_strata)]
    strata, clusters = [], []
    for h, n_h in enumerate(villages):
        for v in range(n_h):
            size = draw(st.integers(1, 6))
            strata += [f"T{h}"] * size
            clusters += [f"T{h}V{v}"] * size
    n = len(strata)
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n).astype(float) if binary else rng.normal(50, 10, n).round(1)
    return {
        "township": np.array(strata),
        "village": np.array(clusters),
        "w": rng.uniform(0.5, 20, n).round(3),
        "y": y,
        "x": rng.uniform(1, 5, n).round(2),
    }


def design_of(sample, weight_factor=1.0, order=None):
    columns = {k: (v if order is None else v[order]) for k, v in sample.items()}
    columns["w"] = columns["w"] * weight_factor
    return Design(columns, weights="w", strata="township", clusters="village")


@given(sample=samples(), c=st.floats(0.01, 100))
def test_scaling_every_weight_leaves_the_mean_and_its_se_unchanged(sample, c):
    a, b = mean(design_of(sample), "y"), mean(design_of(sample, weight_factor=c), "y")
    assert (b.estimate, b.se) == pytest.approx((a.estimate, a.se), rel=1e-9)


@given(sample=samples(), c=st.floats(0.01, 100))
def test_scaling_every_weight_scales_a_total_and_its_se(sample, c):
    a, b = total(design_of(sample), "y"), total(design_of(sample, weight_factor=c), "y")
    assert (b.estimate, b.se) == pytest.approx((c * a.estimate, c * a.se), rel=1e-9)


@given(sample=samples(), data=st.data())
def test_permuting_rows_changes_nothing(sample, data):
    n = len(sample["y"])
    order = np.array(data.draw(st.permutations(range(n))))
    for variance in ("taylor", "jkn"):
        a = mean(design_of(sample), "y", by="township", variance=variance)
        b = mean(design_of(sample, order=order), "y", by="township", variance=variance)
        for level in a:
            assert (b[level].estimate, b[level].se, b[level].df, b[level].n) == pytest.approx(
                (a[level].estimate, a[level].se, a[level].df, a[level].n), rel=1e-9
            )


@given(
    y=st.lists(st.floats(-1e3, 1e3), min_size=2, max_size=40),
    level=st.sampled_from([0.8, 0.9, 0.95, 0.99]),
)
def test_one_psu_per_row_and_no_strata_gives_the_srs_formulas(y, level):
    y = np.array(y)
    e = mean(Design({"y": y}), "y", confidence_level=level)
    n = len(y)
    se = y.std(ddof=1) / np.sqrt(n)
    half = stats.t.ppf((1 + level) / 2, n - 1) * se
    assert e.estimate == pytest.approx(y.mean(), rel=1e-9, abs=1e-9)
    assert e.se == pytest.approx(se, rel=1e-7, abs=1e-9)
    assert (e.df, e.n, e.n_psu) == (n - 1, n, n)
    assert (e.ci.low, e.ci.high) == pytest.approx(
        (y.mean() - half, y.mean() + half), rel=1e-7, abs=1e-7
    )


@given(
    sample=samples(binary=True),
    method=st.sampled_from(["wald", "logit", "beta"]),
    variance=st.sampled_from(["taylor", "jkn", "bootstrap"]),
    level=st.sampled_from([0.5, 0.9, 0.95, 0.999]),
)
def test_a_share_interval_stays_inside_zero_one(sample, method, variance, level):
    design = design_of(sample)
    shares = proportion(
        design,
        "y",
        method=method,
        by="township",
        confidence_level=level,
        variance=variance,
        replicates=50,
        seed=1,
    )
    for share in shares.values():
        assert 0 <= share.ci.low <= share.estimate <= share.ci.high <= 1


@pytest.mark.parametrize("method", ["wald", "logit", "beta"])
@pytest.mark.parametrize("value", [0.0, 1.0])
def test_a_share_of_zero_or_one_gets_an_exact_binomial_interval_not_certainty(method, value):
    # Every answer alike: the design sees no spread (se 0), so the interval is Clopper-Pearson
    # for the 20 rows used, as documented in scoring.proportions.
    sample = {"y": np.full(20, value), "village": np.repeat(np.arange(5), 4)}
    share = proportion(Design(sample, clusters="village"), "y", method=method)
    assert share.se == 0 and share.has_zero_se
    far = 1 - 0.025 ** (1 / 20)
    expected = (0.0, far) if value == 0 else (1 - far, 1.0)
    assert (share.ci.low, share.ci.high) == pytest.approx(expected, rel=1e-9)
    assert share.confidence_interval(0.95) == share.ci


@given(
    sample=samples(),
    statistic=st.sampled_from(["mean", "total", "ratio", "proportion"]),
    variance=st.sampled_from(["taylor", "jkn", "bootstrap"]),
    fpc=st.booleans(),
    data=st.data(),
)
def test_per_psu_totals_give_the_same_estimate_as_row_data(sample, statistic, variance, fpc, data):
    if statistic == "proportion":
        sample = dict(sample, y=(sample["y"] > 50).astype(float))
    holes = np.array(
        data.draw(st.lists(st.booleans(), min_size=len(sample["y"]), max_size=len(sample["y"])))
    )
    sample["y"] = np.where(holes & (np.arange(len(holes)) % 3 == 0), np.nan, sample["y"])
    if fpc:
        counts = {
            t: len(set(sample["village"][sample["township"] == t])) for t in set(sample["township"])
        }
        sample["fpc"] = np.array([counts[t] * 3 for t in sample["township"]])
    columns = dict(sample)
    design = Design(
        columns, weights="w", strata="township", clusters="village", fpc="fpc" if fpc else None
    )
    options = dict(variance=variance, replicates=40, seed=3)
    if statistic == "ratio":
        rows = ratio(design, "y", "x", **options)
    elif statistic == "proportion":
        rows = proportion(design, "y", method="beta", **options)
    else:
        rows = {"mean": mean, "total": total}[statistic](design, "y", **options)
    sums = psu_sums(sample)
    psus = estimate_from_psu_totals(
        sums["township"],
        sums["wy"],
        sums["w"],
        sums["n"],
        sum_wx=sums["wx"],
        fpc=sums.get("fpc"),
        statistic=statistic,
        method="beta",
        **options,
    )
    assert (psus.df, psus.n, psus.n_psu) == (rows.df, rows.n, rows.n_psu)
    assert [psus.estimate, psus.se, psus.ci.low, psus.ci.high] == pytest.approx(
        [rows.estimate, rows.se, rows.ci.low, rows.ci.high], rel=1e-9, abs=1e-12, nan_ok=True
    )


def psu_sums(sample):
    """What one SQL GROUP BY township, village computes."""
    villages, psu = np.unique(sample["village"], return_inverse=True)
    used = ~np.isnan(sample["y"])
    w = np.where(used, sample["w"], 0.0)
    sums = {
        "township": np.array([sample["township"][psu == p][0] for p in range(len(villages))]),
        "wy": np.bincount(psu, w * np.where(used, sample["y"], 0.0)),
        "w": np.bincount(psu, w),
        "wx": np.bincount(psu, w * sample["x"]),
        "n": np.bincount(psu, used),
    }
    if "fpc" in sample:
        sums["fpc"] = np.array([sample["fpc"][psu == p][0] for p in range(len(villages))])
    return sums
