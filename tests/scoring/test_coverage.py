"""Coverage of 95 % intervals in repeated stratified two-stage samples of one finite population.

The population is a county of 14 townships, 400-700 villages each, of very different sizes
(30 to about 1,900 adults), with township and village effects on a 0-100 score, bigger
villages scoring higher (so unweighted means would be biased), and a rare yes/no outcome
(4.0 % in the county) whose rate varies between villages. Each sample draws 10-14 villages
per township by simple random sampling without replacement (fpc = villages in the township),
then 20 adults without replacement in each drawn village, and weights each respondent by the
inverse of their inclusion probability: about 3,100 respondents in 156 villages, df = 142.

The variance is the ultimate-cluster approximation: only the spread between the PSUs'
weighted totals, with the first-stage fpc. Its expectation is the true variance minus f_h
times the second stage's share, so it holds when the first-stage sampling fraction f_h is
small. Here f_h <= 0.03. (In a first version with 4-6 of 45-80 villages drawn, f_h up to
0.13, the Taylor variance was 6 % short and the mean's interval covered 93.7 %: that is the
approximation, not the estimator; the formula matches a hand computation.)

2,000 samples put the binomial SD of an observed coverage near 95 % at 0.49 %, so the
93.5-96.5 % band is +-3.1 SD: an exactly correct method fails it about one seed in 500 (400
samples would fail one seed in six). Seeds 20240611, 7 and 8 gave the mean's interval 94.6,
94.4 and 95.1 %; logit 95.0, 93.9, 94.4 %; beta 95.4, 94.7, 95.1 %; Wald 94.0, 93.4, 93.8 %.
"""

from dataclasses import dataclass
from functools import cache

import numpy as np
import pytest

from scoring import Design, mean, proportion

SAMPLES = 2000
TOWNSHIPS = 14
ADULTS_PER_VILLAGE = 20


@dataclass(frozen=True)
class County:
    township_of_village: np.ndarray
    villages_in_township: np.ndarray
    villages_drawn: np.ndarray  # per township
    start: np.ndarray  # first adult of each village in the flat arrays below
    adults: np.ndarray  # per village
    score: np.ndarray  # per adult, 0-100
    rare: np.ndarray  # per adult, 0/1


@cache
def county() -> County:
    generator = np.random.default_rng(1949)
    villages_in_township = generator.integers(400, 701, size=TOWNSHIPS)
    township_of_village = np.repeat(np.arange(TOWNSHIPS), villages_in_township)
    n_villages = township_of_village.size
    # From hamlets of 30 adults to market towns of a few thousand.
    adults = np.maximum(np.round(generator.lognormal(5.3, 0.6, size=n_villages)), 30).astype(int)
    village = np.repeat(np.arange(n_villages), adults)
    township_effect = generator.normal(0, 5, size=TOWNSHIPS)[township_of_village]
    village_effect = generator.normal(0, 7, size=n_villages) + 0.002 * adults
    score = 60 + township_effect[village] + village_effect[village]
    score = np.clip(score + generator.normal(0, 15, size=village.size), 0, 100)
    rare_logit = -3.4 + generator.normal(0, 0.7, size=n_villages)
    rare = (generator.random(village.size) < 1 / (1 + np.exp(-rare_logit[village]))).astype(float)
    return County(
        township_of_village=township_of_village,
        villages_in_township=villages_in_township,
        villages_drawn=generator.integers(10, 15, size=TOWNSHIPS),
        start=np.concatenate([[0], np.cumsum(adults)[:-1]]),
        adults=adults,
        score=score,
        rare=rare,
    )


def draw_sample(population: County, generator: np.random.Generator) -> dict[str, np.ndarray]:
    """Villages by SRS without replacement in each township, then adults in each village."""
    order = np.lexsort((generator.random(population.adults.size), population.township_of_village))
    rank = np.arange(order.size) - np.repeat(
        np.concatenate([[0], np.cumsum(population.villages_in_township)[:-1]]),
        population.villages_in_township,
    )
    drawn = np.sort(order[rank < population.villages_drawn[population.township_of_village]])
    township = population.township_of_village[drawn]
    within = [
        generator.choice(m, ADULTS_PER_VILLAGE, replace=False) for m in population.adults[drawn]
    ]
    adult = (population.start[drawn][:, None] + np.array(within)).ravel()
    first_stage = population.villages_in_township[township] / population.villages_drawn[township]
    weight = first_stage * population.adults[drawn] / ADULTS_PER_VILLAGE
    return {
        "township": np.repeat(township, ADULTS_PER_VILLAGE),
        "village": np.repeat(drawn, ADULTS_PER_VILLAGE),
        "fpc": np.repeat(population.villages_in_township[township], ADULTS_PER_VILLAGE),
        "w": np.repeat(weight, ADULTS_PER_VILLAGE),
        "score": population.score[adult],
        "rare": population.rare[adult],
    }


@dataclass(frozen=True)
class Simulation:
    coverage: dict[str, float]  # share of intervals that cover the county's value
    misses_below: dict[str, int]  # intervals wholly below the county's value
    misses_above: dict[str, int]
    mean_estimates: np.ndarray
    mean_ses: np.ndarray


@cache
def simulation() -> Simulation:
    population = county()
    truth = {"mean": population.score.mean(), "share": population.rare.mean()}
    generator = np.random.default_rng(20240611)
    below = dict.fromkeys(["mean", "logit", "beta", "wald"], 0)
    above = dict.fromkeys(below, 0)
    estimates, ses = np.empty(SAMPLES), np.empty(SAMPLES)
    for i in range(SAMPLES):
        design = Design(
            draw_sample(population, generator),
            weights="w",
            strata="township",
            clusters="village",
            fpc="fpc",
        )
        score = mean(design, "score")
        estimates[i], ses[i] = score.estimate, score.se
        intervals = {"mean": (score.ci, truth["mean"])}
        for method in ("logit", "beta", "wald"):
            intervals[method] = (proportion(design, "rare", method=method).ci, truth["share"])
        for name, (ci, value) in intervals.items():
            below[name] += ci.high < value
            above[name] += ci.low > value
    coverage = {name: 1 - (below[name] + above[name]) / SAMPLES for name in below}
    return Simulation(coverage, below, above, estimates, ses)


def test_the_county_has_a_rare_outcome_near_4_percent_and_a_score_near_60():
    population = county()
    assert 0.035 < population.rare.mean() < 0.045
    assert 55 < population.score.mean() < 65
    assert (population.villages_drawn / population.villages_in_township).max() <= 0.035


def test_95_percent_interval_for_a_mean_covers_the_county_mean_93_5_to_96_5_percent():
    assert 0.935 <= simulation().coverage["mean"] <= 0.965


def test_taylor_variance_of_the_mean_matches_the_spread_of_estimates_across_samples():
    # With f_h this small the ultimate-cluster variance is unbiased for the variance of the
    # estimates. Over 2,000 samples the latter has a relative SD of about sqrt(2/2000) =
    # 3.2 %, so 0.9-1.1 is about +-3 SD. (Observed: 0.98, 0.99 and 0.96 on three seeds.)
    result = simulation()
    assert 0.9 <= np.mean(result.mean_ses**2) / np.var(result.mean_estimates) <= 1.1


@pytest.mark.parametrize("method", ["logit", "beta"])
def test_95_percent_interval_for_a_4_percent_share_covers_it_at_least_93_percent(method):
    assert simulation().coverage[method] >= 0.93


def test_wald_interval_for_a_4_percent_share_falls_short_and_misses_mostly_below():
    # This is why logit is the default. The Wald interval is symmetric around a skewed
    # estimate, and a low estimate comes with a small se, so it lies wholly below the
    # truth 2-4 times as often as above (90 vs 30 on this seed) and covers 93.4-94.0 %,
    # about a point under the beta interval on the same samples.
    result = simulation()
    assert result.coverage["wald"] < result.coverage["beta"]
    assert result.misses_below["wald"] > 2 * result.misses_above["wald"]
