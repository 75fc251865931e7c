"""Bad input is refused early, in words that name the column, the row and what is allowed."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from scoring import ColumnError, Design, mean, proportion, rake, ratio
from scoring.cli import main

ROOT = Path(__file__).resolve().parents[2]


def columns(**overrides):
    base = {
        "township": np.array(["T1"] * 4 + ["T2"] * 4),
        "village": np.array(["a", "a", "b", "b", "c", "c", "d", "d"]),
        "w": np.array([1.0, 2, 1, 2, 3, 1, 2, 1]),
        "y": np.array([1.0, 2, 3, 4, 5, 6, 7, 8]),
    }
    base.update({k: np.asarray(v) for k, v in overrides.items()})
    return base


def test_negative_weights_are_refused_with_their_count_and_first_row():
    w = [1.0, 2, 1, -2, 3, -1, 2, -1]
    with pytest.raises(ValueError) as error:
        Design(columns(w=w), weights="w", strata="township", clusters="village")
    assert str(error.value) == (
        "weights: column 'w' has 3 negative values (first at row 3); weights must be >= 0"
    )
    assert (error.value.column, error.value.row) == ("w", 3)


def test_a_missing_weight_is_refused():
    with pytest.raises(ValueError, match=r"column 'w' has 1 missing values \(first at row 2\)"):
        Design(columns(w=[1.0, 2, np.nan, 2, 3, 1, 2, 1]), weights="w")


def test_a_row_without_a_stratum_is_refused():
    township = ["T1", "T1", "", "T1", "T2", "T2", "T2", "T2"]
    with pytest.raises(ValueError, match=r"strata: column 'township' has 1 empty values \(first"):
        Design(columns(township=township), strata="township", clusters="village")


def test_a_row_without_a_cluster_is_refused():
    village = ["a", "a", "b", "b", "c", "", "d", "d"]
    with pytest.raises(ValueError, match=r"clusters: column 'village' has 1 empty values"):
        Design(columns(village=village), strata="township", clusters="village")


def test_a_stratum_with_a_single_psu_is_refused_under_fail():
    village = ["a", "a", "b", "b", "c", "c", "c", "c"]
    with pytest.raises(ValueError, match=r"stratum 'T2' has only one PSU"):
        Design(columns(village=village), strata="township", clusters="village")


def test_a_stratum_with_a_single_psu_is_accepted_when_asked_to_adjust_or_treat_as_certain():
    village = ["a", "a", "b", "b", "c", "c", "c", "c"]
    for rule in ("adjust", "certainty"):
        design = Design(
            columns(village=village), strata="township", clusters="village", lonely_psu=rule
        )
        assert design.df == 1


def test_a_completely_sampled_stratum_with_one_psu_is_not_lonely():
    # R's onestrat returns 0 before its lonely-PSU check when f = 1: a census has no variance.
    village = ["a", "a", "b", "b", "c", "c", "c", "c"]
    fpc = [10, 10, 10, 10, 1, 1, 1, 1]
    design = Design(
        columns(village=village, fpc=fpc), strata="township", clusters="village", fpc="fpc"
    )
    assert mean(design, "y").se > 0


def test_an_unknown_lonely_psu_rule_is_refused():
    with pytest.raises(ValueError, match=r"lonely_psu \('remove'\) must be one of"):
        Design(columns(), lonely_psu="remove")


def test_a_missing_column_is_named_with_the_columns_there_are():
    with pytest.raises(ValueError, match=r"weights: no column 'weight' \(columns: township"):
        Design(columns(), weights="weight")
    with pytest.raises(ValueError, match=r"var: no column 'score'"):
        mean(Design(columns()), "score")


def test_a_non_numeric_value_is_named_with_its_row():
    y = np.array(["1", "2", "3", "four", "5", "6", "7", "8"])
    with pytest.raises(ColumnError) as error:
        mean(Design(columns(y=y)), "y")
    assert str(error.value) == "var: column 'y' has 'four' at row 3, which is not a number"


def test_an_fpc_that_varies_within_a_stratum_is_refused():
    fpc = [10, 10, 10, 11, 5, 5, 5, 5]
    with pytest.raises(ValueError, match=r"fpc: column 'fpc' is not constant within stratum 'T1'"):
        Design(columns(fpc=fpc), strata="township", clusters="village", fpc="fpc")


def test_an_fpc_smaller_than_the_sample_is_refused():
    fpc = [10, 10, 10, 10, 1.5, 1.5, 1.5, 1.5]
    with pytest.raises(ValueError, match=r"gives 1.5 PSUs in stratum 'T2', fewer than the 2"):
        Design(columns(fpc=fpc), strata="township", clusters="village", fpc="fpc")


def test_columns_of_different_lengths_are_refused():
    with pytest.raises(ValueError, match=r"column 'y' has 3 rows, not 8"):
        Design(columns(y=[1.0, 2, 3]))


def test_a_proportion_needs_zero_one_values():
    with pytest.raises(ValueError, match=r"column 'y' has 2 at row 1; a proportion needs 0/1"):
        proportion(Design(columns()), "y")


def test_unknown_options_are_refused_by_name():
    design = Design(columns())
    with pytest.raises(ValueError, match=r"variance \('brr'\) must be one of"):
        mean(design, "y", variance="brr")
    with pytest.raises(ValueError, match=r"confidence_level \(95\) must be between 0 and 1"):
        mean(design, "y", confidence_level=95)
    with pytest.raises(ValueError, match=r"method \('exact'\) must be one of"):
        proportion(design, "y", method="exact")


def test_jackknife_types_follow_the_design_as_in_r():
    stratified = Design(columns(), strata="township", clusters="village")
    with pytest.raises(ValueError, match="jk1 is for unstratified designs"):
        mean(stratified, "y", variance="jk1")
    with pytest.raises(ValueError, match="jkn is for stratified designs"):
        mean(Design(columns(), clusters="village"), "y", variance="jkn")


def test_raking_margins_must_cover_the_levels_in_the_data():
    design = Design(columns(), strata="township", clusters="village")
    with pytest.raises(ValueError, match=r"level 'T2' in the data but not in the margins"):
        rake(design, {"township": {"T1": 10}})
    with pytest.raises(ValueError, match=r"no row with level 'T3'"):
        rake(design, {"township": {"T1": 10, "T2": 10, "T3": 5}})
    with pytest.raises(ValueError, match=r"level 'T1' has total -1"):
        rake(design, {"township": {"T1": -1, "T2": 10}})
    with pytest.raises(ValueError, match=r"margins: no column 'sex'"):
        rake(design, {"sex": {"F": 10}})


def test_a_ratio_names_a_non_numeric_denominator():
    x = np.array(["1", "2", "", "x", "5", "6", "7", "8"])
    with pytest.raises(ValueError, match=r"denominator: column 'x' has 'x' at row 3"):
        ratio(Design(columns(x=x)), "y", "x")


# Command line: one line on stderr, naming the file and the CSV line, exit status 2.

CSV = """township,village,w,y,g
T1,a,1,1,F
T1,a,2,2,M
T1,b,1,3,F
T1,b,2,4,M
T2,c,3,5,F
T2,c,1,6,M
T2,d,2,7,F
T2,d,1,8,M
"""


def write(tmp_path, text=CSV, name="data.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def edit(line_no, old, new):
    lines = CSV.splitlines(keepends=True)
    lines[line_no - 1] = lines[line_no - 1].replace(old, new)
    return "".join(lines)


@pytest.mark.parametrize(
    ("text", "args", "message"),
    [
        (
            edit(5, ",2,4,", ",-2,4,"),
            ["--weights", "w"],
            ":5: weights: column 'w' has 1 negative values (first at row 3); weights must be >= 0",
        ),
        (
            edit(7, "T2,c,1", ",c,1"),
            ["--strata", "township", "--cluster", "village"],
            ":7: strata: column 'township' has 1 empty values (first at row 5); "
            "every row needs one",
        ),
        (
            edit(6, "3,5", "3,five"),
            [],
            ":6: var: column 'y' has 'five' at row 4, which is not a number",
        ),
        (CSV, ["--weights", "weight"], ": weights: no column 'weight' (columns: township,"),
        (
            edit(8, "T2,d", "T2,c").replace("T2,d", "T2,c"),
            ["--strata", "township", "--cluster", "village"],
            "stratum 'T2' has only one PSU",
        ),
    ],
    ids=["negative-weight", "missing-stratum", "non-numeric", "missing-column", "single-psu"],
)
def test_command_line_reports_bad_data_on_one_line_with_file_and_line(
    tmp_path, capsys, text, args, message
):
    path = write(tmp_path, text)
    status, out, err = run(capsys, "estimate", path, "--var", "y", *args)
    assert (status, out) == (2, "")
    assert err.count("\n") == 1 and err.startswith(path)
    assert message in err


def test_command_line_reports_a_missing_file(tmp_path, capsys):
    status, _, err = run(capsys, "estimate", str(tmp_path / "nope.csv"), "--var", "y")
    assert status == 2
    assert err == f"{tmp_path / 'nope.csv'}: cannot read: No such file or directory\n"


def test_command_line_reports_a_row_with_too_few_fields(tmp_path, capsys):
    path = write(tmp_path, CSV + "T2,d,1\n")
    status, _, err = run(capsys, "estimate", path, "--var", "y")
    assert (status, err) == (2, f"{path}:10: 3 fields, but the header has 5\n")


@pytest.mark.parametrize(
    ("margins", "message"),
    [
        ('{"g": {"F": 10, "M": 12', ":1: not valid JSON: Expecting"),
        ('["F", "M"]', ': margins must be {"column": {"level": total, ...}, ...}'),
        ('{"g": {"F": 10}}', ": margins: column 'g' has level 'M' in the data but not in"),
    ],
    ids=["not-json", "not-a-mapping", "level-missing"],
)
def test_command_line_reports_bad_margins_naming_the_margins_file(
    tmp_path, capsys, margins, message
):
    path = write(tmp_path)
    margins_path = write(tmp_path, margins, "margins.json")
    status, _, err = run(capsys, "estimate", path, "--var", "y", "--rake-margins", margins_path)
    assert status == 2 and err.count("\n") == 1
    assert err.startswith(margins_path + message)


@pytest.mark.parametrize(
    "argv",
    [
        ["estimate", "data.csv"],
        ["estimate", "data.csv", "--var", "y", "--stat", "median"],
        ["estimate", "data.csv", "--var", "y", "--level", "high"],
        ["estimate", "data.csv", "--var", "y", "--frobnicate"],
        ["estimate", "data.csv", "--var", "y", "--stat", "ratio"],
        ["estimate", "data.csv", "--var", "y", "--level", "1.5"],
        ["tabulate", "data.csv"],
        [],
    ],
    ids=[
        "no-var",
        "bad-stat",
        "bad-level",
        "unknown-option",
        "ratio-without-denominator",
        "level-out-of-range",
        "unknown-command",
        "no-command",
    ],
)
def test_command_line_usage_errors_are_one_line_and_exit_2(tmp_path, capsys, monkeypatch, argv):
    monkeypatch.chdir(tmp_path)
    write(tmp_path)
    status, out, err = run(capsys, *argv)
    assert (status, out) == (2, "")
    assert err.count("\n") == 1 and "Traceback" not in err


def test_python_m_scoring_exits_2_without_a_traceback(tmp_path):
    path = write(tmp_path, edit(5, ",2,4,", ",-2,4,"))
    p = subprocess.run(
        [sys.executable, "-m", "scoring", "estimate", path, "--var", "y", "--weights", "w"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert p.returncode == 2
    assert p.stderr.splitlines() == [
        f"{path}:5: weights: column 'w' has 1 negative values (first at row 3); "
        "weights must be >= 0"
    ]


def test_command_line_prints_json_csv_and_a_table(tmp_path, capsys):
    path = write(tmp_path)
    common = ["estimate", path, "--var", "y", "--weights", "w", "--by", "g"]
    _, out, _ = run(capsys, *common, "--format", "json")
    results = json.loads(out)["results"]
    assert [r["group"] for r in results] == ["F", "M"]
    assert set(results[0]) == {"group", "estimate", "se", "ci_low", "ci_high", "df", "n"}
    assert results[0]["n"] == 4 and results[0]["df"] == 7
    _, out, _ = run(capsys, *common, "--format", "csv")
    assert out.splitlines()[0] == "group,estimate,se,ci_low,ci_high,df,n"
    assert out.splitlines()[1].startswith("F,")
    status, out, _ = run(capsys, *common, "--format", "table")
    assert status == 0 and out.splitlines()[1].split()[0] == "F"
