"""`flask indices compute` and `flask indices export-responses`: the published indices.

`export-responses` writes the scored response table that `python -m scoring indices` reads
(and, beside it, the population cells and admin counts), so an analyst can reproduce every
published number without the database.
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

import click
import numpy as np

from scoring.index_rows import FIELDS, report_data, report_rows
from surveyapp.cli import CliError, OneLineGroup
from surveyapp.services.estimates import LEVELS, EstimatesError, compute_indices, gather

indices_cli = OneLineGroup(
    "indices", help="指数：按调查轮次计算，或导出供 python -m scoring 复算。"
)


@indices_cli.command("compute")
@click.option(
    "--wave", "wave_code", required=True, help="调查轮次编号，例如 citizen_approval-2025-11"
)
@click.option("--level", type=click.Choice(LEVELS), required=True, help="村、乡镇或全县")
@click.option("--format", "output", type=click.Choice(["json", "csv"]), default="csv")
@click.option("--exclude-flagged", is_flag=True, help="剔除答题过快和集中刷票的答卷（报告剔除数）")
def compute_command(wave_code: str, level: str, output: str, exclude_flagged: bool) -> None:
    """计算某一轮次在某一层级的全部指数。"""
    try:
        report = compute_indices(wave_code, level, exclude_flagged=exclude_flagged)
    except EstimatesError as error:
        raise CliError(str(error)) from None
    if output == "json":
        click.echo(json.dumps(report_data(report), ensure_ascii=False, indent=2))
        return
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(
        {k: ("" if v is None else v) for k, v in r.items()} for r in report_rows(report)
    )
    click.echo(out.getvalue(), nl=False)


@indices_cli.command("export-responses")
@click.option("--wave", "wave_code", required=True, help="调查轮次编号")
@click.argument("out", type=click.Path(dir_okay=False, writable=True))
def export_command(wave_code: str, out: str) -> None:
    """导出已计分的答卷表（另附人口分组和统计数），供 python -m scoring indices 复算。"""
    try:
        data = gather(wave_code)
    except EstimatesError as error:
        raise CliError(str(error)) from None
    path = Path(out)
    _write_columns(path, data.table)
    stem = path.with_suffix("")
    _write_records(
        Path(f"{stem}-population.csv"), data.population, ("org", "age_group", "sex", "adults")
    )
    _write_records(
        Path(f"{stem}-counts.csv"),
        data.counts,
        ("org", "township", "period", "kind", "count", "exposure"),
    )
    click.echo(f"已导出 {len(data.table['period'])} 份答卷到 {path}")


def _cell(value: object) -> object:
    if isinstance(value, float | np.floating):
        return "" if math.isnan(value) else format(float(value), ".15g")
    return value


def _write_columns(path: Path, table: dict) -> None:
    names = list(table)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(names)
        for i in range(len(table["period"])):
            writer.writerow([_cell(table[name][i]) for name in names])


def _write_records(path: Path, records: list[dict], names: tuple[str, ...]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=names, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(records)
