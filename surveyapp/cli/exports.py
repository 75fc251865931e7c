"""``flask export roster|responses|template``: data out for analysts and for other databases."""

from __future__ import annotations

from pathlib import Path

import click
import sqlalchemy as sa

from surveyapp.cli import CliError, OneLineGroup

export_cli = OneLineGroup("export", help="导出名册、答卷数据和导入模板。")


def _format_of(path: Path, allowed: tuple[str, ...]) -> str:
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in allowed:
        raise CliError(f"{path}: 文件扩展名须为 {'、'.join('.' + f for f in allowed)}")
    return fmt


@export_cli.command("roster")
@click.argument("kind")
@click.argument("file", type=click.Path(path_type=Path))
def roster_command(kind: str, file: Path) -> None:
    """导出名册（与导入模板同样的列），FILE 为 .csv 或 .xlsx。含姓名、电话等个人信息。"""
    from surveyapp.services.exports import export_roster
    from surveyapp.services.imports import KINDS

    if kind not in KINDS:
        raise CliError(f"未知的名册类型 {kind}，可选：{'、'.join(KINDS)}")
    file.write_bytes(export_roster(kind, _format_of(file, ("csv", "xlsx")), by=None))
    click.echo(f"{file}: 已导出")


@export_cli.command("rosters")
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False))
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="xlsx")
def rosters_command(directory: Path, fmt: str) -> None:
    """按导入顺序导出全部名册到 DIRECTORY（01-orgs.xlsx、02-branches.xlsx……）。
    账号名册不含密码：导入到新系统前须为新账号填写“初始密码”列。"""
    from surveyapp.services.exports import export_roster
    from surveyapp.services.imports import KINDS

    directory.mkdir(parents=True, exist_ok=True)
    for number, kind in enumerate(KINDS, start=1):
        path = directory / f"{number:02d}-{kind}.{fmt}"
        path.write_bytes(export_roster(kind, fmt, by=None))
        click.echo(f"{path}: 已导出")


@export_cli.command("template")
@click.argument("kind")
@click.argument("file", type=click.Path(path_type=Path))
def template_command(kind: str, file: Path) -> None:
    """写出某类名册的导入模板（中文表头和一行示例），FILE 为 .csv 或 .xlsx。"""
    from surveyapp.services.imports import KINDS, template

    if kind not in KINDS:
        raise CliError(f"未知的名册类型 {kind}，可选：{'、'.join(KINDS)}")
    file.write_bytes(template(kind, _format_of(file, ("csv", "xlsx"))))
    click.echo(f"{file}: 已写出模板")


@export_cli.command("responses")
@click.argument("wave_code")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--include-text", is_flag=True, help="包含自由文本答案（可能含个人信息）。")
def responses_command(wave_code: str, file: Path, include_text: bool) -> None:
    """导出一轮调查的匿名答卷（.csv、.xlsx 或 .sav），并在旁边写出变量说明 .codebook.md。"""
    from surveyapp.extensions import db
    from surveyapp.models import Wave
    from surveyapp.services.exports import FORMATS, codebook, export_responses

    fmt = _format_of(file, FORMATS)
    wave = db.session.scalar(sa.select(Wave).where(Wave.code == wave_code))
    if wave is None:
        raise CliError(f"调查轮次 {wave_code} 不存在")
    file.write_bytes(export_responses(wave, fmt, include_text=include_text, by=None))
    book = file.with_suffix(".codebook.md")
    book.write_text(codebook(wave, include_text=include_text), encoding="utf-8")
    click.echo(f"{file}: 已导出；变量说明见 {book}")
