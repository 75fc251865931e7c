"""``flask import KIND FILE [--dry-run]``: the same import as the admin page.

Bad input (an unknown kind, a missing or unreadable file, a wrong extension) is one line and
exit status 2; rows with errors are printed as ``FILE: row N, column X: message``, nothing is
written, and the exit status is 1.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from surveyapp.cli import CheckFailed, CliError, OneLineCommand

LIST_LIMIT = 20




@click.command("import", cls=OneLineCommand)
@click.argument("kind")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help="只检查并显示将要发生的变化，不写入。")
@with_appcontext
def import_command(kind: str, file: Path, dry_run: bool) -> None:
    """导入名册：KIND 为 orgs、branches、households、people、links、teams、users、population、
    counts、points、vetoes、exemptions；FILE 为 .csv 或 .xlsx。有错误时什么也不写入。"""
    from surveyapp.services.imports import KINDS, UnknownKind, UnreadableFile, import_file

    if kind not in KINDS:
        raise CliError(f"未知的导入类型 {kind}，可选：{'、'.join(KINDS)}")
    if not file.is_file():
        raise CliError(f"{file}: 文件不存在")
    try:
        result = import_file(kind, file.name, file.read_bytes(), dry_run=dry_run)
    except UnreadableFile as error:
        raise CliError(f"{file}: {error}") from None
    except UnknownKind:  # pragma: no cover - checked above
        raise CliError(f"未知的导入类型 {kind}") from None
    if result.errors:
        raise CheckFailed("\n".join(f"{file}: {error}" for error in result.errors))
    if result.ignored_columns:
        click.echo(f"{file}: 忽略未知的列：{'、'.join(result.ignored_columns)}")
    for change in result.changes[:LIST_LIMIT]:
        what = "新增" if change.action == "add" else "更新 " + "、".join(change.fields)
        click.echo(f"{file}: row {change.row}: {change.key} {what}")
    if len(result.changes) > LIST_LIMIT:
        click.echo(f"{file}: …… 另有 {len(result.changes) - LIST_LIMIT} 处变化")
    verb = "将" if dry_run else "已"
    click.echo(f"{file}: {result.rows} 行，{verb}新增 {result.added}，{verb}更新 {result.updated}，"
               f"不变 {result.unchanged}" + ("（试运行，未写入）" if dry_run else ""))
