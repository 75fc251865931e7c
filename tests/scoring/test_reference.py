"""Every case of the R reference suite (../shared/reference), run through the command line.

The numbers come from R's survey package (expected.R); the tolerances from its README.
"""

import json
import sys
from pathlib import Path

import pytest

from tests.scoring.conftest import REFERENCE, require_reference

ROOT = Path(__file__).resolve().parents[2]


def _cases():
    if not (REFERENCE / "cases.json").exists():
        return []
    return json.loads((REFERENCE / "cases.json").read_text(encoding="utf-8"))["cases"]


def _checker():
    """check_reference.py's own comparison, so the test and the checker cannot disagree."""
    sys.path.insert(0, str(REFERENCE))
    try:
        import check_reference
    finally:
        sys.path.pop(0)
    return check_reference


CASES = _cases()


def test_reference_suite_is_present():
    if not CASES:
        require_reference()


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_command_line_agrees_with_r(case, capsys, monkeypatch):
    # In-process, with exactly the arguments check_reference.py passes to `python -m scoring`
    # (one subprocess per case would cost most of the suite's time).
    from scoring.cli import main

    checker = _checker()
    argv = checker.command(sys.executable, case, str(REFERENCE))[3:]
    monkeypatch.chdir(ROOT)
    status = main(argv)
    out, err = capsys.readouterr()
    if case.get("expect_error"):
        assert (status, len(err.strip().splitlines())) == (2, 1)
        return
    assert (status, err) == (0, "")
    assert checker.compare(case, json.loads(out)["results"]) == []


def test_python_m_scoring_runs_a_reference_case_like_the_checker():
    checker = _checker()
    case = next(c for c in CASES if c["name"] == "apistrat_mean") if CASES else require_reference()
    assert checker.run_case(sys.executable, case, str(ROOT), str(REFERENCE)) == []


@pytest.mark.parametrize(
    "case", [c for c in CASES if not c.get("expect_error")], ids=lambda c: c["name"]
)
def test_library_agrees_with_the_command_line(case):
    # The CLI is a thin layer: the same numbers must come out of the library directly.
    import scoring

    a = case["args"]
    design = scoring.Design(
        scoring.read_csv(REFERENCE / "data" / case["data"]),
        weights=a.get("weights"),
        strata=a.get("strata"),
        clusters=a.get("cluster"),
        fpc=a.get("fpc"),
        lonely_psu=a.get("lonely-psu", "fail"),
    )
    if "rake-margins" in a:
        margins = json.loads((REFERENCE / "data" / a["rake-margins"]).read_text())
        design = scoring.rake(design, margins)
    options = dict(
        by=a.get("by"),
        confidence_level=float(a.get("level", 0.95)),
        variance=a.get("variance", "taylor"),
        replicates=int(a.get("replicates", 500)),
        seed=a.get("seed"),
    )
    stat = a.get("stat", "mean")
    if stat == "ratio":
        result = scoring.ratio(design, a["var"], a["denominator"], **options)
    elif stat == "proportion":
        result = scoring.proportion(design, a["var"], method=a.get("ci-method", "wald"), **options)
    else:
        result = getattr(scoring, stat)(design, a["var"], **options)
    results = result.items() if isinstance(result, dict) else [(None, result)]
    rows = [
        dict(
            group=g,
            estimate=e.estimate,
            se=e.se,
            ci_low=e.ci.low,
            ci_high=e.ci.high,
            df=e.df,
            n=e.n,
        )
        for g, e in results
    ]
    assert _checker().compare(case, rows) == []
