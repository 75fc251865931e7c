"""services/estimates.py on the small demo county: the planted truth comes back out."""

import pytest

from surveyapp.demo.plan import planted_effects
from surveyapp.services.estimates import EstimatesError, compute_indices, index_rows

WAVE = "citizen_approval-2025-11"


def approval_rows(rows):
    return {r["unit"]: r for r in rows if r["table"] == "index" and r["index"] == "approval"}


def test_planted_best_and_worst_villages_are_graded_and_tiny_samples_are_not(demo_county):
    truth = planted_effects(1, "small")
    villages = approval_rows(index_rows(WAVE, "village"))
    best, worst = villages[truth.best_villages[0]], villages[truth.worst_villages[0]]
    assert best["grades"].startswith("stars:五星") and best["rank"] == 1
    assert worst["rank"] == worst["rank_of"] and "五星" not in worst["grades"]
    for code in truth.tiny_samples:
        assert villages[code]["status"] == "样本不足" and villages[code]["rank"] is None
        assert villages[code]["shrinkage_label"] == "收缩估计（模型估计）"


def test_township_rows_carry_n_df_ci_and_rater_counts(demo_county):
    truth = planted_effects(1, "small")
    townships = approval_rows(index_rows(WAVE, "township"))
    high = max(truth.township, key=truth.township.get)
    low = min(truth.township, key=truth.township.get)
    assert townships[high]["estimate"] > townships[low]["estimate"]
    for row in townships.values():
        assert row["n"] > 0 and row["df"] >= 1 and row["ci_low"] < row["ci_high"]


def test_county_report_has_changes_rates_and_reliability(demo_county):
    report = compute_indices("citizen_approval-2026-11", "county")
    approval = next(c for c in report.changes if c.index == "approval")
    assert approval.change is not None and approval.verdict in ("升", "持平", "降")
    assert {c.kind for c in report.counts} == {"violations", "petitions"}
    assert report.reliability


@pytest.mark.parametrize("wave", ["no-such-wave"])
def test_an_unknown_wave_is_a_one_line_domain_error(demo_county, wave):
    with pytest.raises(EstimatesError, match="没有编号为"):
        compute_indices(wave, "county")


def test_flask_indices_compute_reports_bad_input_in_one_line_with_status_2(runner, demo_county):
    done = runner.invoke(args=["indices", "compute", "--wave", "nope", "--level", "county"])
    assert done.exit_code == 2
    ok = runner.invoke(args=["indices", "compute", "--wave", WAVE, "--level", "township"])
    assert ok.exit_code == 0 and ok.output.startswith("table,index,")
