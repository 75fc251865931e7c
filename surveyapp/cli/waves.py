"""``flask waves …``: list waves, print village links, posters, draw households, print slips,
set a ballot's eligible voters.

Output meant for scripts (``list``, ``links``, ``tokens``) is CSV on stdout; bad input (an
unknown wave or village, a missing folder, a bad seed) is one line on stderr and exit 2.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import click

from surveyapp.cli import CliError, OneLineGroup
from surveyapp.models import Org, Wave
from surveyapp.services import ballots, invitations, sampling, waves

waves_cli = OneLineGroup("waves", help="调查轮次：列表、村级链接与海报、入户抽样、一次性评价码。")

wave_option = click.option("--wave", "wave_code", required=True, help="调查轮次编号。")


def _wave(code: str) -> Wave:
    try:
        return waves.get_wave(code)
    except waves.WaveNotFound:
        raise CliError(f"没有编号为 {code} 的调查轮次（flask waves list 列出全部）") from None


def _village(wave: Wave, code: str) -> Org:
    try:
        return waves.get_village(wave, code)
    except waves.OrgNotFound:
        raise CliError(f"调查轮次 {wave.code} 不包括编码为 {code} 的村（社区）") from None


def _out_dir(path: Path) -> Path:
    if not path.is_dir():
        raise CliError(f"输出目录 {path} 不存在")
    return path


def _villages(wave: Wave, code: str | None) -> list[Org]:
    return [_village(wave, code)] if code else waves.wave_villages(wave)


def _csv_writer() -> csv.writer:
    return csv.writer(sys.stdout, lineterminator="\n")


@waves_cli.command("list")
def list_command() -> None:
    """以 CSV 列出全部调查轮次：编号、问卷、版本、状态、起止日期、答卷数。"""
    out = _csv_writer()
    out.writerow(["code", "questionnaire_id", "version", "status", "starts_on", "ends_on",
                  "responses"])
    for row in waves.list_wave_rows():
        out.writerow([row.code, row.questionnaire_id, row.version, row.status.value,
                      row.starts_on.isoformat(), row.ends_on.isoformat(), row.responses])


@waves_cli.command("links")
@wave_option
def links_command(wave_code: str) -> None:
    """以 CSV 列出各村（社区）的调查链接：编码、名称、网址。"""
    wave = _wave(wave_code)
    out = _csv_writer()
    out.writerow(["village_code", "village_name", "url"])
    for link in waves.village_links(wave):
        out.writerow([link.code, link.name, link.url])


@waves_cli.command("posters")
@wave_option
@click.option("--out", "out", required=True, type=click.Path(path_type=Path),
              help="保存 PDF 的已有目录。")
@click.option("--village", "village_code", help="只生成这个村（社区）的海报。")
def posters_command(wave_code: str, out: Path, village_code: str | None) -> None:
    """每个村（社区）一张 A4 二维码海报（PDF）。"""
    wave = _wave(wave_code)
    folder = _out_dir(out)
    written = waves.write_posters(wave, folder, _villages(wave, village_code))
    click.echo(f"已生成 {len(written)} 张海报，保存在 {folder}")


@waves_cli.command("sample")
@wave_option
@click.option("--per-village", type=click.IntRange(min=1), default=None,
              help="每村抽取户数（默认：本轮每村目标数，未设时 40）。")
@click.option("--seed", type=click.IntRange(0, 2**32 - 1), required=True,
              help="随机种子：同一种子抽到同样的户。")
@click.option("--replace", is_flag=True, help="重抽：删除尚未访问的原样本（已有访问结果时拒绝）。")
@click.option("--out", "out", type=click.Path(path_type=Path),
              help="把各村访问名单（PDF）保存到这个已有目录。")
def sample_command(wave_code: str, per_village: int | None, seed: int, replace: bool,
                   out: Path | None) -> None:
    """按乡镇分层、各村随机抽取住户，保存入样概率，并可打印访问名单。"""
    wave = _wave(wave_code)
    folder = _out_dir(out) if out is not None else None
    try:
        draws = sampling.draw_sample(wave, per_village=per_village, seed=seed, replace=replace)
    except sampling.SampleExists:
        raise CliError(f"调查轮次 {wave.code} 已经抽过样；确需重抽请加 --replace") from None
    except sampling.SampleInUse as error:
        raise CliError(f"不能重抽：{error}") from None
    out_csv = _csv_writer()
    out_csv.writerow(["township", "village_code", "village_name", "households", "drawn",
                      "inclusion_probability"])
    for d in draws:
        out_csv.writerow([d.township, d.code, d.name, d.households, d.drawn,
                          f"{d.inclusion_probability:.10g}"])
    if folder is not None:
        sheets = sampling.write_call_sheets(wave, folder)
        click.echo(f"已生成 {len(sheets)} 份访问名单，保存在 {folder}", err=True)


@waves_cli.command("sheets")
@wave_option
@click.option("--out", "out", required=True, type=click.Path(path_type=Path),
              help="保存 PDF 的已有目录。")
@click.option("--village", "village_code", help="只打印这个村（社区）的名单。")
def sheets_command(wave_code: str, out: Path, village_code: str | None) -> None:
    """重新打印已抽样本的访问名单（每村一份 PDF）。"""
    wave = _wave(wave_code)
    folder = _out_dir(out)
    villages = _villages(wave, village_code)
    if not sampling.has_sample(wave):
        raise CliError(f"调查轮次 {wave.code} 还没有抽样（先运行 flask waves sample）")
    sheets = sampling.write_call_sheets(wave, folder, villages)
    click.echo(f"已生成 {len(sheets)} 份访问名单，保存在 {folder}")


@waves_cli.command("tokens")
@wave_option
@click.option("--village", "village_code", required=True, help="村（社区）编码。")
@click.option("--out", "out", type=click.Path(path_type=Path),
              help="把可裁剪的评价条（PDF）保存到这个已有目录。")
@click.option("--reissue", is_flag=True, help="作废本村尚未使用的评价码，重新生成。")
def tokens_command(wave_code: str, village_code: str, out: Path | None, reissue: bool) -> None:
    """为村里每个联系户生成一次性评价码，以 CSV 输出：户编码、党员、网址。"""
    wave = _wave(wave_code)
    village = _village(wave, village_code)
    folder = _out_dir(out) if out is not None else None
    try:
        slips = invitations.issue_slips(wave, village, reissue=reissue)
    except invitations.NotASlipWave:
        raise CliError(f"调查轮次 {wave.code} 的问卷不是联户群众评党员问卷") from None
    except invitations.SlipsExist:
        raise CliError(
            f"{village.name} 在调查轮次 {wave.code} 已有评价码；确需重印请加 --reissue"
        ) from None
    out_csv = _csv_writer()
    out_csv.writerow(["household_code", "member_code", "member_name", "url"])
    for slip in slips:
        out_csv.writerow([slip.household_code, slip.member_code, slip.member_name, slip.url])
    if folder is not None:
        path = invitations.write_slips_pdf(wave, village, slips, folder)
        click.echo(f"已生成 {len(slips)} 张评价条：{path}", err=True)


@waves_cli.command("voters")
@wave_option
@click.argument("file", type=click.Path(path_type=Path))
def voters_command(wave_code: str, file: Path) -> None:
    """设定民主测评的参评人员：FILE 为 CSV，每行第一列是人员编码（可有表头）。"""
    wave = _wave(wave_code)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CliError(f"{file}: 无法读取（须为 UTF-8 编码的 CSV）：{error}") from None
    try:
        count = ballots.set_voters(wave, ballots.read_codes(text), user=None)
    except ballots.NotABallotWave:
        raise CliError(f"调查轮次 {wave.code} 的问卷不是民主测评，不需要设定参评人员") from None
    except ballots.VotersNotValid as error:
        for problem in error.problems:
            click.echo(f"{file}:{problem.line}: {problem.message}", err=True)
        raise click.exceptions.Exit(CliError.exit_code) from None  # bad input: exit 2
    click.echo(f"调查轮次 {wave.code} 的参评人员已设为 {count} 人")
