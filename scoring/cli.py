"""``python -m scoring``: survey estimates from a CSV file.

Bad input is one line on stderr, ``FILE:LINE: message`` where a line is known, and exit
status 2; never a traceback.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import sys
from collections.abc import Sequence

import numpy as np
import yaml

from scoring.calibrate import rake
from scoring.csvio import read_csv_with_lines
from scoring.design import ColumnError, Design
from scoring.estimators import mean, proportion, ratio, total
from scoring.index_rows import FIELDS as INDEX_FIELDS
from scoring.index_rows import report_data, report_rows
from scoring.indices import check_spec, check_table, compute_indices
from scoring.results import Estimate
from scoring.variance import LONELY_PSU, VARIANCE_METHODS

STATISTICS = {"mean": mean, "total": total, "proportion": proportion, "ratio": ratio}
FIELDS = ("group", "estimate", "se", "ci_low", "ci_high", "df", "n")


class BadInput(Exception):
    """Input the user must fix; the message is the whole line to print."""


class ArgumentParser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line and exit status 2, without usage text."""

    def error(self, message: str):
        raise BadInput(f"{self.prog}: {message}")


def build_parser() -> ArgumentParser:
    parser = ArgumentParser(prog="python -m scoring", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_estimate_command(commands)
    add_indices_command(commands)
    add_report_command(commands)
    return parser


def add_estimate_command(commands) -> None:
    p = commands.add_parser("estimate", help="estimate a mean, total, proportion or ratio")
    p.add_argument("data", metavar="DATA.csv")
    p.add_argument("--var", required=True, help="column to estimate")
    p.add_argument("--weights", help="sampling weight column")
    p.add_argument("--strata", help="stratum column")
    p.add_argument("--cluster", help="PSU column (for example village)")
    p.add_argument("--fpc", help="population PSUs per stratum (or sampling fraction)")
    p.add_argument("--by", help="domain column: one result per level")
    p.add_argument("--stat", choices=list(STATISTICS), default="mean")
    p.add_argument("--denominator", help="denominator column of a ratio")
    p.add_argument(
        "--ci-method",
        choices=["wald", "logit", "beta"],
        default="wald",
        help="interval of a proportion (default wald)",
    )
    p.add_argument("--level", type=float, default=0.95, help="confidence level (0.95)")
    p.add_argument("--variance", choices=VARIANCE_METHODS, default="taylor")
    p.add_argument("--replicates", type=int, default=500, help="bootstrap replicates")
    p.add_argument("--seed", type=int, help="bootstrap seed")
    p.add_argument(
        "--rake-margins",
        metavar="MARGINS.json",
        help='population margins: {"column": {"level": total, ...}, ...}',
    )
    p.add_argument("--lonely-psu", choices=LONELY_PSU, default="fail")
    p.add_argument("--format", choices=["json", "csv", "table"], default="table")
    p.set_defaults(run=run_estimate)


def add_indices_command(commands) -> None:
    p = commands.add_parser("indices", help="every index of indices.yaml from a response export")
    p.add_argument("data", metavar="RESPONSES.csv", help="from flask indices export-responses")
    p.add_argument("--spec", required=True, metavar="indices.yaml")
    p.add_argument("--level", choices=["village", "township", "county"], required=True)
    p.add_argument("--population", metavar="POP.csv", help="org,age_group,sex,adults cells")
    p.add_argument("--counts", metavar="COUNTS.csv", help="org,township,period,kind,count,exposure")
    p.add_argument("--confidence", type=float, default=0.95, help="confidence level (0.95)")
    p.add_argument("--format", choices=["json", "csv"], default="csv")
    p.set_defaults(run=run_indices)


def add_report_command(commands) -> None:
    p = commands.add_parser("report", help="a PDF report from its plain data (JSON)")
    p.add_argument("data", metavar="REPORT.json", help="from flask reports build --json")
    p.add_argument("--out", required=True, metavar="REPORT.pdf")
    p.add_argument("--min-cell", type=int, default=5, help="smallest breakdown shown (5)")
    p.add_argument("--html", action="store_true", help="write the HTML instead of the PDF")
    p.set_defaults(run=run_report)


def run_report(args: argparse.Namespace) -> str:
    from jinja2 import UndefinedError

    from scoring.reports import html_to_pdf, input_hash, render_html

    try:
        with open(args.data, encoding="utf-8-sig") as f:
            data = json.load(f)
    except OSError as e:
        raise BadInput(f"{args.data}: cannot read: {e.strerror or e}") from None
    except json.JSONDecodeError as e:
        raise BadInput(f"{args.data}:{e.lineno}: not valid JSON: {e.msg}") from None
    try:
        html = render_html(data, min_cell=args.min_cell)
    except (ValueError, TypeError, UndefinedError) as e:
        raise BadInput(f"{args.data}: {e}") from None
    output = html.encode("utf-8") if args.html else html_to_pdf(html)
    try:
        with open(args.out, "wb") as f:
            f.write(output)
    except OSError as e:
        raise BadInput(f"{args.out}: cannot write: {e.strerror or e}") from None
    return f"{args.out}: input hash {input_hash(data)}\n"


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        output = args.run(args)
    except BadInput as e:
        print(str(e), file=sys.stderr)
        return 2
    sys.stdout.write(output)
    return 0


def run_estimate(args: argparse.Namespace) -> str:
    columns, lines = _read_data(args.data)
    where = _Locator(args.data, lines)
    if args.stat == "ratio" and not args.denominator:
        raise BadInput(f"{args.data}: --stat ratio needs --denominator")
    if args.denominator and args.stat != "ratio":
        raise BadInput(f"{args.data}: --denominator is only for --stat ratio")
    try:
        design = Design(
            columns,
            weights=args.weights,
            strata=args.strata,
            clusters=args.cluster,
            fpc=args.fpc,
            lonely_psu=args.lonely_psu,
        )
    except ValueError as e:
        raise BadInput(where(e)) from None
    if args.rake_margins:
        margins = _read_margins(args.rake_margins)
        try:
            design = rake(design, margins)
        except ColumnError as e:
            raise BadInput(where(e)) from None
        except ValueError as e:
            raise BadInput(f"{args.rake_margins}: {e}") from None
    options = dict(
        by=args.by,
        confidence_level=args.level,
        variance=args.variance,
        replicates=args.replicates,
        seed=args.seed,
    )
    try:
        if args.stat == "ratio":
            result = ratio(design, args.var, args.denominator, **options)
        elif args.stat == "proportion":
            result = proportion(design, args.var, method=args.ci_method, **options)
        else:
            result = STATISTICS[args.stat](design, args.var, **options)
    except ValueError as e:
        raise BadInput(where(e)) from None
    rows = _rows(result)
    return {"json": _as_json, "csv": _as_csv, "table": _as_table}[args.format](rows)


class _Locator:
    """Turns a library error into ``DATA.csv:LINE: message``."""

    def __init__(self, path: str, lines: np.ndarray):
        self.path, self.lines = path, lines

    def __call__(self, error: ValueError) -> str:
        row = getattr(error, "row", None)
        if row is not None and 0 <= row < len(self.lines):
            return f"{self.path}:{self.lines[row]}: {error}"
        return f"{self.path}: {error}"


def _read_data(path: str):
    try:
        return read_csv_with_lines(path)
    except OSError as e:
        raise BadInput(f"{path}: cannot read: {e.strerror or e}") from None
    except UnicodeDecodeError as e:
        raise BadInput(f"{path}: not UTF-8 text ({e.reason})") from None
    except (ValueError, csv.Error) as e:
        raise BadInput(str(e) if str(e).startswith(str(path)) else f"{path}: {e}") from None


def _read_margins(path: str) -> dict:
    try:
        with open(path, encoding="utf-8-sig") as f:
            margins = json.load(f)
    except OSError as e:
        raise BadInput(f"{path}: cannot read: {e.strerror or e}") from None
    except json.JSONDecodeError as e:
        raise BadInput(f"{path}:{e.lineno}: not valid JSON: {e.msg}") from None
    except UnicodeDecodeError as e:
        raise BadInput(f"{path}: not UTF-8 text ({e.reason})") from None
    if not isinstance(margins, dict) or not all(isinstance(v, dict) for v in margins.values()):
        raise BadInput(f'{path}: margins must be {{"column": {{"level": total, ...}}, ...}}')
    return margins


def _rows(result: Estimate | dict[str, Estimate]) -> list[dict]:
    items = result.items() if isinstance(result, dict) else [(None, result)]
    return [
        {
            "group": group,
            "estimate": _number(e.estimate),
            "se": _number(e.se),
            "ci_low": _number(e.ci.low),
            "ci_high": _number(e.ci.high),
            "df": e.df,
            "n": e.n,
        }
        for group, e in items
    ]


def _number(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def _as_json(rows: list[dict]) -> str:
    return json.dumps({"results": rows}, ensure_ascii=False, indent=2) + "\n"


def _as_csv(rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: ("" if v is None else v) for k, v in row.items()} for row in rows)
    return out.getvalue()


def _as_table(rows: list[dict]) -> str:
    def show(key, value):
        if value is None:
            return "-" if key != "group" else "(all)"
        return f"{value:.6g}" if isinstance(value, float) else str(value)

    cells = [list(FIELDS)] + [[show(k, row[k]) for k in FIELDS] for row in rows]
    widths = [max(len(r[j]) for r in cells) for j in range(len(FIELDS))]
    lines = [
        "  ".join(
            c.ljust(w) if j == 0 else c.rjust(w)
            for j, (c, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in cells
    ]
    return "\n".join(lines) + "\n"


TEXT_COLUMNS = (
    "period",
    "instrument",
    "org",
    "township",
    "subject",
    "audience",
    "age_group",
    "sex",
)


def run_indices(args: argparse.Namespace) -> str:
    spec = _read_spec(args.spec)
    columns, _ = _read_data(args.data)
    table = {
        name: _as_text(values) if name in TEXT_COLUMNS or name.startswith("answer:") else values
        for name, values in columns.items()
    }
    try:
        check_table(table)
    except ValueError as e:
        raise BadInput(f"{args.data}:1: {e}") from None
    population = _read_records(args.population, ("org", "age_group", "sex", "adults"))
    counts = _read_records(args.counts, ("org", "township", "period", "kind", "count", "exposure"))
    try:
        report = compute_indices(
            table,
            spec,
            level=args.level,
            population=population,
            counts=counts,
            confidence_level=args.confidence,
        )
    except ValueError as e:
        raise BadInput(f"{args.data}: {e}") from None
    if args.format == "json":
        return json.dumps(report_data(report), ensure_ascii=False, indent=2) + "\n"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=INDEX_FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(
        {k: ("" if v is None else v) for k, v in row.items()} for row in report_rows(report)
    )
    return out.getvalue()


def _as_text(values: np.ndarray) -> np.ndarray:
    if values.dtype.kind == "f":
        return np.array(["" if v != v else format(v, "g") for v in values.tolist()], dtype=str)
    return np.char.strip(values.astype(str))


def _read_spec(path: str) -> dict:
    try:
        with open(path, encoding="utf-8-sig") as f:
            spec = yaml.safe_load(f)
    except OSError as e:
        raise BadInput(f"{path}: cannot read: {e.strerror or e}") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise BadInput(f"{path}{line}: not valid YAML: {getattr(e, 'problem', e)}") from None
    try:
        check_spec(spec)
    except ValueError as e:
        raise BadInput(f"{path}: {e}") from None
    return spec


def _read_records(path: str | None, needed: tuple[str, ...]) -> list[dict] | None:
    if path is None:
        return None
    columns, _ = _read_data(path)
    missing = [name for name in needed if name not in columns]
    if missing:
        raise BadInput(f"{path}:1: no column '{missing[0]}' (needs {', '.join(needed)})")
    n = len(columns[needed[0]])
    text = {name: _as_text(columns[name]) for name in columns}
    return [{name: text[name][i] for name in needed} for i in range(n)]
