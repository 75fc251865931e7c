"""The indices from a synthetic county with planted truth, and their edge cases."""

import contextlib
import io
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import yaml

from scoring.cli import main
from scoring.indices import (
    NO_SPREAD,
    PUBLISHED,
    TOO_FEW,
    VETOED,
    combine_independent,
    compute_all_levels,
)
from scoring.results import ConfidenceInterval, Estimate

SPEC_PATH = Path(__file__).resolve().parents[2] / "questionnaires" / "indices.yaml"
SPEC = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
FOUR = ("政治清明", "政府清廉", "干部清正", "社会清朗")
BASE = 74.0


def citizens(village_effects, township_effects, n, adults=2000, seed=0, noise=12.0):
    """A citizen table: village v of township t answers around BASE + t + v."""
    rng = np.random.default_rng(seed)
    org, town, truth = [], [], []
    for (v, t), effect in village_effects.items():
        k = n[v] if isinstance(n, dict) else n
        org += [v] * k
        town += [t] * k
        truth += [BASE + township_effects[t] + effect] * k
    latent = np.asarray(truth) + rng.normal(0, noise, len(truth))
    size = len(org)
    table = {
        "period": np.full(size, "current"),
        "instrument": np.full(size, "citizen_approval"),
        "org": np.asarray(org),
        "township": np.asarray(town),
        "subject": np.full(size, ""),
        "adults": np.asarray(
            [adults[v] if isinstance(adults, dict) else adults for v in org], float
        ),
    }
    for d in (*FOUR, "村党组织", "乡镇服务"):
        table[f"dim:{d}"] = np.clip(latent + rng.normal(0, 6, size), 0, 100)
    table["sat:村党组织"] = (table["dim:村党组织"] >= 80).astype(float)
    return table


def planted_county(n_big=150, seed=1):
    rng = np.random.default_rng(seed)
    townships = {"T1": -6.0, "T2": 0.0, "T3": 6.0}
    villages = {(f"{t}V{j}", t): float(rng.normal(0, 3)) for t in townships for j in range(6)}
    villages[("T2V0", "T2")] = 20.0  # planted best
    villages[("T2V1", "T2")] = -22.0  # planted worst
    n = {v: n_big for v, _ in villages}
    n["T1V5"] = 6  # a tiny sample
    return villages, townships, n


@pytest.fixture(scope="module")
def county_reports():
    villages, townships, n = planted_county()
    table = citizens(villages, townships, n)
    return villages, townships, compute_all_levels(table, SPEC, seed=5)


def approval(report, unit):
    return next(r for r in report.results if r.index == "approval" and r.unit == unit)


def test_village_estimates_recover_the_planted_village_means(county_reports):
    villages, townships, reports = county_reports
    misses = 0
    # The planted best and worst sit near the ends of the 0-100 scale, where clipping the
    # answers shifts the truth; they are checked by their grades below.
    ordinary = {k: e for k, e in villages.items() if k[0] not in ("T2V0", "T2V1")}
    for (v, t), effect in ordinary.items():
        e = approval(reports["village"], v).estimate
        misses += not e.ci.low <= BASE + townships[t] + effect <= e.ci.high
    assert misses <= 3  # 16 intervals at 95 %: more than 3 misses is about a 1-in-150 event


def test_township_estimates_recover_the_planted_township_effects(county_reports):
    villages, townships, reports = county_reports
    for t, effect in townships.items():
        mean = np.mean([BASE + effect + e for (v, tt), e in villages.items() if tt == t])
        r = approval(reports["township"], t)
        assert r.estimate.ci.low <= mean <= r.estimate.ci.high
        assert r.estimate.df == 5  # six villages in the township


def test_planted_best_and_worst_villages_are_graded_as_such(county_reports):
    _, _, reports = county_reports
    best, worst = approval(reports["village"], "T2V0"), approval(reports["village"], "T2V1")
    assert [g.label for g in best.grades] == ["五星", "绿"]
    assert [g.label for g in worst.grades] == ["一星", "红"]
    assert best.rank.rank == 1 and best.rank.high <= 2
    assert worst.rank.rank == worst.rank.of and worst.rank.low >= worst.rank.of - 1


def test_a_tiny_sample_is_too_few_never_graded_or_ranked_but_gets_a_labelled_shrinkage(
    county_reports,
):
    _, _, reports = county_reports
    tiny = approval(reports["village"], "T1V5")
    assert tiny.status == TOO_FEW and tiny.rank is None
    assert all(not g.is_graded and g.label == TOO_FEW for g in tiny.grades)
    assert tiny.shrinkage.label == "收缩估计（模型估计）"
    assert tiny.shrinkage.shrinkage > approval(reports["village"], "T1V0").shrinkage.shrinkage


def test_tiny_villages_in_a_large_simulation_are_never_graded():
    villages, townships, n = planted_county(n_big=40, seed=2)
    n = {v: (int(k) if k != 6 else 4) for v, k in n.items()}
    reports = compute_all_levels(citizens(villages, townships, n, seed=9), SPEC)
    for r in reports["village"].results:
        if r.index == "approval" and r.raters < 30:
            assert r.status == TOO_FEW and not any(g.is_graded for g in r.grades)


def test_all_answers_identical_is_flagged_not_presented_as_a_certain_zero_width_interval():
    table = citizens({("A", "T"): 0.0, ("B", "T"): 0.0}, {"T": 0.0}, 40, seed=3)
    for d in (*FOUR, "村党组织", "乡镇服务"):
        table[f"dim:{d}"] = np.full(80, 80.0)
    village = approval(compute_all_levels(table, SPEC)["village"], "A")
    assert village.estimate.se == 0
    assert village.status == NO_SPREAD
    assert all(g.label == NO_SPREAD and not g.is_graded for g in village.grades)


def test_a_village_whose_every_adult_answered_is_a_census_and_may_be_graded():
    table = citizens(
        {("A", "T"): 10.0, ("B", "T"): 0.0}, {"T": 0.0}, 40, adults={"A": 40, "B": 900}
    )
    a = approval(compute_all_levels(table, SPEC)["village"], "A")
    assert a.estimate.se == pytest.approx(0, abs=1e-9) and a.status == PUBLISHED
    assert any("普查" in note for note in a.notes)


def test_a_township_with_a_single_village_takes_that_villages_design():
    table = citizens(
        {("A", "T1"): 0.0, ("B", "T1"): 3.0, ("C", "T2"): 5.0}, {"T1": 0.0, "T2": 0.0}, 40
    )
    reports = compute_all_levels(table, SPEC)
    single = approval(reports["township"], "T2")
    assert single.estimate == approval(reports["village"], "C").estimate
    assert any("仅一个村" in note for note in single.notes)
    assert approval(reports["county"], "county").estimate.se > 0


def test_the_four_dimensions_are_combined_per_respondent_before_estimating():
    table = citizens({("A", "T"): 0.0, ("B", "T"): 0.0}, {"T": 0.0}, 50, seed=4)
    table["dim:社会清朗"][:10] = np.nan  # missing dimension: weights renormalised per person
    r = approval(compute_all_levels(table, SPEC)["village"], "A")
    stacked = np.column_stack([table[f"dim:{d}"][:50] for d in FOUR])
    per_person = np.nanmean(stacked, axis=1)
    assert r.estimate.estimate == pytest.approx(per_person.mean())


def integrity_table(n=60, seed=0, correct=None):
    rng = np.random.default_rng(seed)
    latent = rng.normal(80, 8, n)
    table = {
        "period": np.full(n, "current"),
        "instrument": np.full(n, "cadre_integrity"),
        "org": np.where(np.arange(n) % 2, "T1", "T2"),
        "township": np.where(np.arange(n) % 2, "T1", "T2"),
        "subject": np.full(n, ""),
        "dim:不敢腐": latent + 6 + rng.normal(0, 3, n),
        "dim:不能腐": latent + rng.normal(0, 3, n),
        "dim:不想腐": latent + rng.normal(0, 3, n),
        "dim:情景判断": latent,
        "dim:十条军规": np.full(n, 100.0) if correct == "all" else rng.choice([60.0, 90.0], n),
    }
    return table


def test_three_no_corruption_balance_is_a_paired_difference_with_a_verdict():
    county = compute_all_levels(integrity_table(), SPEC)["county"]
    by_pair = {(b.first, b.second): b for b in county.balance}
    assert by_pair[("不敢腐", "不能腐")].verdict == "不均衡"
    assert by_pair[("不敢腐", "不能腐")].estimate.estimate == pytest.approx(6, abs=1.5)
    assert by_pair[("不能腐", "不想腐")].verdict == "无显著差异"


def test_a_quiz_everyone_passed_gets_an_exact_interval_not_a_zero_width_one():
    county = compute_all_levels(integrity_table(correct="all"), SPEC)["county"]
    passed = county.quiz[0].passed_share
    assert passed.estimate == 1.0 and passed.ci.high == 1.0
    assert 0.9 < passed.ci.low < 1.0


def member_table(raters):
    rows = {
        "period": [],
        "instrument": [],
        "org": [],
        "township": [],
        "subject": [],
        "self_rating": [],
        "respondent": [],
    }
    rng = np.random.default_rng(0)
    for member, (households, peers) in raters.items():
        for instrument, k in (
            ("household_rates_member", households),
            ("member_peer_review", peers),
        ):
            for _ in range(k):
                rows["period"].append("current")
                rows["instrument"].append(instrument)
                rows["org"].append("V1")
                rows["township"].append("T1")
                rows["subject"].append(member)
                rows["self_rating"].append(0.0)
                rows["respondent"].append(float(np.clip(rng.normal(85, 6), 0, 100)))
    return {k: np.asarray(v) for k, v in rows.items()}


def pioneer(report, member):
    return next(r for r in report.results if r.index == "pioneer" and r.unit == member)


def test_a_member_with_one_rater_is_too_few_and_gets_no_grade():
    table = member_table({"M1": (1, 6), "M2": (8, 6)})
    village = compute_all_levels(table, SPEC, points={"M1": {}, "M2": {"bonus": 10}})["village"]
    m1, m2 = pioneer(village, "M1"), pioneer(village, "M2")
    assert m1.status == TOO_FEW and m1.estimate is None
    households = next(c for c in m1.components if c.id == "linked_households")
    assert (households.raters, households.status) == (1, TOO_FEW)
    assert m2.status == PUBLISHED
    points = next(c for c in m2.components if c.id == "organisation_points")
    assert points.estimate.estimate == 70 and points.estimate.se == 0 and points.kind == "fixed"
    rated = [c for c in m2.components if c.kind == "survey"]
    assert all(c.estimate.se > 0 and c.raters >= 5 for c in rated)


def test_points_are_capped_and_a_veto_zeroes_the_index_but_keeps_the_score_before_it():
    table = member_table({"M1": (8, 6)})
    village = compute_all_levels(
        table, SPEC, points={"M1": {"bonus": 90, "deductions": 5}}, vetoes={"M1": ["违法犯罪"]}
    )["village"]
    m1 = pioneer(village, "M1")
    points = next(c for c in m1.components if c.id == "organisation_points")
    assert points.estimate.estimate == 95  # 60 + min(90, 40) - 5
    assert m1.estimate.estimate == 0 and m1.score_before_veto > 80
    assert m1.vetoed_by == ("违法犯罪",)


def test_a_source_absent_county_wide_is_left_out_with_a_note():
    village = compute_all_levels(member_table({"M1": (8, 6)}), SPEC)["village"]
    m1 = pioneer(village, "M1")
    assert m1.status == PUBLISHED
    assert "organisation_points" not in {c.id for c in m1.components}
    assert any("重新分配" in note for note in m1.notes)


def test_independent_components_add_variances():
    a = Estimate(80.0, 3.0, ConfidenceInterval(0, 0), 0.95, 9, 10, 10)
    b = Estimate(60.0, 4.0, ConfidenceInterval(0, 0), 0.95, 19, 20, 20)
    e = combine_independent([(0.6, a), (0.4, b)], 0.95)
    assert e.estimate == pytest.approx(72.0)
    assert e.se == pytest.approx(np.sqrt(0.36 * 9 + 0.16 * 16))


def run_cli(*args):
    """``python -m scoring indices …`` in-process (a subprocess would cost seconds per test)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["indices", *args])
    return SimpleNamespace(returncode=code, stdout=out.getvalue(), stderr=err.getvalue())


def write_table(path, table):
    names = list(table)
    lines = [",".join(names)]
    for i in range(len(table["period"])):
        lines.append(",".join(str(table[n][i]) for n in names))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_cli_reproduces_the_library_numbers(tmp_path):
    villages, townships, n = planted_county(n_big=30)
    table = citizens(villages, townships, n)
    write_table(tmp_path / "r.csv", table)
    done = run_cli(
        str(tmp_path / "r.csv"), "--spec", str(SPEC_PATH), "--level", "county", "--format", "json"
    )
    assert done.returncode == 0, done.stderr
    county = approval(compute_all_levels(table, SPEC)["county"], "county")
    assert f"{county.estimate.estimate:.10f}"[:12] in done.stdout


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("column", "r.csv:1: table: unknown column 'colour'"),
        ("wave", "table: no responses in the current wave"),
        ("spec", "indices.yaml: indices.approval: needs at least one component"),
    ],
)
def test_cli_bad_input_is_one_line_and_exit_status_2(tmp_path, change, message):
    table = citizens({("A", "T"): 0.0, ("B", "T"): 0.0}, {"T": 0.0}, 5)
    spec = SPEC_PATH
    if change == "column":
        table["colour"] = np.full(10, "red")
    if change == "wave":
        table["period"] = np.full(10, "previous")
    if change == "spec":
        broken = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
        broken["indices"]["approval"]["components"] = []
        spec = tmp_path / "indices.yaml"
        spec.write_text(yaml.safe_dump(broken, allow_unicode=True), encoding="utf-8")
    write_table(tmp_path / "r.csv", table)
    done = run_cli(str(tmp_path / "r.csv"), "--spec", str(spec), "--level", "village")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and message in done.stderr


@pytest.mark.parametrize("households", [0, 1])
def test_a_veto_applies_to_a_member_with_too_few_raters(households):
    # The veto is a recorded fact, not an estimate: it is applied even when the member's
    # own score is 样本不足, which stays the "score before the veto".
    table = member_table({"M1": (households, 6), "M2": (8, 6)})
    village = compute_all_levels(table, SPEC, points={}, vetoes={"M1": ["违法犯罪"]})["village"]
    m1 = pioneer(village, "M1")
    assert m1.status == VETOED and m1.vetoed_by == ("违法犯罪",)
    assert m1.score_before_veto is None
    assert any("否决前得分：样本不足" in note for note in m1.notes)
    assert m1.estimate.estimate == 0 and m1.estimate.se == 0  # 清零
    assert all(g.is_graded and g.reason == "清零" for g in m1.grades)


def test_a_village_with_a_veto_and_too_few_respondents_is_marked_vetoed():
    villages = {("A", "T"): 0.0, ("B", "T"): 0.0, ("C", "T"): 0.0}
    table = citizens(villages, {"T": 0.0}, {"A": 5, "B": 40, "C": 40})
    reports = compute_all_levels(table, SPEC, vetoes={"A": ["两委成员被立案审查"]})
    fortress = next(
        r for r in reports["village"].results if r.index == "fortress" and r.unit == "A"
    )
    assert fortress.status == VETOED and fortress.vetoed_by
    assert all(g.is_graded and g.reason == "一票否决" for g in fortress.grades)
    assert [g.label for g in fortress.grades] == ["一星", "红"][: len(fortress.grades)]


def test_a_village_at_98_with_5_respondents_has_an_interval_inside_0_to_100():
    villages = {("A", "T"): 24.0, ("B", "T"): 0.0, ("C", "T"): 3.0}
    table = citizens(villages, {"T": 0.0}, {"A": 5, "B": 40, "C": 40})
    for d in (*FOUR, "村党组织", "乡镇服务"):
        table[f"dim:{d}"][:5] = [100.0, 100, 100, 100, 90]  # village A: 98, se 2, df 4
    a = approval(compute_all_levels(table, SPEC)["village"], "A")
    assert a.estimate.estimate > 95 and a.estimate.se > 0
    assert a.estimate.ci.low < a.estimate.estimate < a.estimate.ci.high == 100.0
    assert any("截去" in note for note in a.notes)
    for c in a.components:
        if c.estimate is not None:
            assert 0 <= c.estimate.ci.low <= c.estimate.ci.high <= 100
    assert 0 <= a.shrinkage.ci.low <= a.shrinkage.ci.high <= 100


def test_an_interval_clipped_at_100_can_be_graded_in_the_top_band():
    table = citizens({("A", "T"): 0.0, ("B", "T"): 0.0}, {"T": 0.0}, 40, seed=6)
    for d in (*FOUR, "村党组织", "乡镇服务"):
        # Two of 40 at 80, the rest at 100: 99 +- 1.4, unclipped up to 100.4.
        table[f"dim:{d}"] = np.where(np.arange(80) % 20 == 0, 80.0, 100.0)
    a = approval(compute_all_levels(table, SPEC)["village"], "A")
    assert a.estimate.ci.high == 100.0 and a.estimate.ci.low > 90
    assert [g.label for g in a.grades][0] == "五星"  # not 待定 for reaching past 100


def test_san_sheng_changes_are_given_per_township_with_a_verdict():
    villages = {("A", "T1"): 0.0, ("B", "T1"): 0.0, ("C", "T2"): 0.0, ("D", "T2"): 0.0}
    townships = {"T1": 0.0, "T2": 0.0}
    now = citizens(villages, townships, 60, seed=11)
    before = citizens(villages, {"T1": -10.0, "T2": 0.0}, 60, seed=12)
    before["period"] = np.full(len(before["period"]), "previous")
    table = {k: np.concatenate([now[k], before[k]]) for k in now}
    changes = {
        c.unit: c
        for c in compute_all_levels(table, SPEC)["township"].changes
        if c.index == "approval"
    }
    assert set(changes) == {"T1", "T2"}
    assert changes["T1"].verdict == "升" and changes["T1"].change.estimate > 5
    assert changes["T2"].verdict == "持平"
    t1 = changes["T1"]
    assert t1.change.estimate == pytest.approx(t1.current.estimate - t1.previous.estimate)
    assert t1.change.se == pytest.approx((t1.current.se**2 + t1.previous.se**2) ** 0.5)


def test_a_township_without_a_previous_wave_has_no_change_verdict():
    table = citizens({("A", "T1"): 0.0, ("B", "T1"): 0.0}, {"T1": 0.0}, 40)
    (change,) = [
        c for c in compute_all_levels(table, SPEC)["township"].changes if c.index == "approval"
    ]
    assert change.verdict == "无上期数据" and change.change is None


def with_selfchecks(table, now, before, instrument="secretary_selfcheck"):
    """``table`` plus one scored self-check per village of it, this wave (around ``now``)
    and the wave before (around ``before``)."""
    rng = np.random.default_rng(3)
    _, first = np.unique(table["org"], return_index=True)
    rows = {k: [] for k in table}
    rows["respondent"] = []
    for period, mean in (("current", now), ("previous", before)):
        for i in first:
            for name in table:
                rows[name].append(table[name][i])
            rows["period"][-1], rows["instrument"][-1] = period, instrument
            for name in table:
                if name.startswith(("dim:", "sat:")):
                    rows[name][-1] = np.nan
            rows["respondent"].append(float(np.clip(rng.normal(mean, 5), 0, 100)))
    out = {k: np.concatenate([np.asarray(table[k]), np.asarray(rows[k])]) for k in table}
    out["respondent"] = np.concatenate([np.full(len(table["period"]), np.nan), rows["respondent"]])
    return out


def county_rises(spec, table):
    return {
        c.index: c
        for c in compute_all_levels(table, spec)["county"].changes
        if c.index not in spec["indices"]
    }


def test_the_rises_indices_yaml_lists_are_compared_by_their_instruments_plain_mean():
    villages = {(f"V{j}", "T1"): 0.0 for j in range(12)}
    table = with_selfchecks(citizens(villages, {"T1": 0.0}, 30), now=85.0, before=70.0)
    shipped = county_rises(SPEC, table)
    assert list(shipped) == ["secretary_selfcheck"]
    rise = shipped["secretary_selfcheck"]
    assert rise.title == "管党治党意识" and rise.unit == "county" and rise.verdict == "升"
    assert rise.current.estimate == pytest.approx(85.0, abs=4)
    assert rise.previous.estimate == pytest.approx(70.0, abs=4)

    # Declared, not found by a component's id: renaming the fortress index's checklist
    # component changes nothing; the title is the file's; an empty list has none.
    renamed = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    for component in renamed["indices"]["fortress"]["components"]:
        if component.get("instrument") == "secretary_selfcheck":
            component["id"] = "checklist"
    renamed["rises"] = [{"title": "书记自查得分", "instrument": "secretary_selfcheck"}]
    (retitled,) = county_rises(renamed, table).values()
    assert retitled.title == "书记自查得分" and retitled.change == rise.change
    assert county_rises(dict(SPEC, rises=[]), table) == {}


@pytest.mark.parametrize(
    "rises", ["管党治党意识", [{"title": "管党治党意识"}], [{"instrument": "x", "title": ""}]]
)
def test_a_rise_without_a_title_and_an_instrument_is_refused_in_one_line(rises):
    table = citizens({("A", "T"): 0.0, ("B", "T"): 0.0}, {"T": 0.0}, 5)
    with pytest.raises(ValueError, match=r"^rises"):
        compute_all_levels(table, dict(SPEC, rises=rises))
