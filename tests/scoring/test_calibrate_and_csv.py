"""Raking to population margins, and reading CSV data."""

import json

import numpy as np
import pytest

from scoring import Design, mean, rake, read_csv, total


@pytest.fixture(scope="module")
def raked(design, reference_data):
    margins = json.loads((reference_data / "county1.margins.json").read_text())
    return rake(design, margins), margins


def test_raked_weights_reproduce_every_margin(raked, county):
    design, margins = raked
    for column, levels in margins.items():
        for level, population in levels.items():
            in_level = county[column] == level
            assert design.weights[in_level].sum() == pytest.approx(population, rel=1e-9)


def test_raking_keeps_the_design_and_leaves_the_original_untouched(raked, design):
    calibrated, _ = raked
    assert calibrated.is_calibrated and not design.is_calibrated
    assert (calibrated.df, calibrated.n_psu) == (design.df, design.n_psu)
    assert not np.allclose(calibrated.weights, design.weights)


def test_raking_on_one_margin_is_post_stratification_with_its_variance():
    # With one margin, raking is post-stratification: within each level the weights are
    # scaled to the population total, and a total of the margin's indicator has SE 0.
    rng = np.random.default_rng(2)
    columns = {
        "sex": rng.choice(["F", "M"], 200),
        "village": np.repeat(np.arange(20), 10),
        "w": rng.uniform(1, 3, 200),
        "y": rng.normal(size=200),
    }
    columns["is_f"] = (columns["sex"] == "F").astype(float)
    design = rake(Design(columns, weights="w", clusters="village"), {"sex": {"F": 500, "M": 700}})
    f_total = total(design, "is_f")
    assert f_total.estimate == pytest.approx(500)
    assert f_total.se == pytest.approx(0, abs=1e-9)
    assert mean(design, "y").se > 0


def test_numeric_margin_levels_match_as_strings(reference_data):
    # api.margins.json has "sch_wide": {"0": 1072, "1": 5122}; the column holds 0.0 / 1.0.
    api = read_csv(reference_data / "apistrat.csv")
    margins = json.loads((reference_data / "api.margins.json").read_text())
    design = rake(Design(api, weights="pw", strata="stype", fpc="fpc"), margins)
    assert design.weights[api["sch_wide"] == 1].sum() == pytest.approx(5122, rel=1e-9)


def test_margins_that_disagree_on_the_population_are_refused(design):
    margins = {"sex": {"F": 100, "M": 100}, "age_group": {"18-39": 10, "40-59": 10, "60+": 10}}
    with pytest.raises(ValueError, match=r"column 'age_group' sums to 30 but 'sex' to 200"):
        rake(design, margins)


def test_raking_that_does_not_converge_says_so(design):
    margins = {"sex": {"F": 1000, "M": 2000}, "age_group": {"18-39": 10, "40-59": 10, "60+": 2980}}
    with pytest.raises(ValueError, match="raking did not converge in 2 iterations"):
        rake(design, margins, max_iterations=2)


def test_read_csv_makes_numbers_where_it_can_and_keeps_text(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text(
        '\ufeffvillage,y,code,note\n"A",1.5,007,x\nB,,8,"a, b"\nC,3,9,\n', encoding="utf-8"
    )
    columns = read_csv(path)
    assert columns["village"].tolist() == ["A", "B", "C"]
    assert np.array_equal(columns["y"], [1.5, np.nan, 3], equal_nan=True)
    assert columns["code"].tolist() == [7.0, 8.0, 9.0]
    assert columns["note"].tolist() == ["x", "a, b", ""]


def test_read_csv_names_the_line_of_a_short_row(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("a,b\n1,2\n3\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"data.csv:3: 1 fields, but the header has 2"):
        read_csv(path)


def test_read_csv_refuses_a_repeated_column(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("a,b,a\n1,2,3\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"data.csv:1: column 'a' appears more than once"):
        read_csv(path)


def test_the_library_never_imports_the_web_stack():
    import subprocess
    import sys

    code = (
        "import sys, scoring, scoring.cli; "
        "print(sorted(m for m in ('flask', 'sqlalchemy', 'surveyapp', 'pandas') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
