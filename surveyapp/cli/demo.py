"""`flask demo load` and `flask demo logins`: the synthetic demo county."""

from __future__ import annotations

import json
import time

import click
from flask import current_app
from sqlalchemy import select

from surveyapp.cli import CliError, OneLineGroup
from surveyapp.demo import (
    DEMO_PASSWORDS,
    SIZES,
    CountyNotEmpty,
    QuestionnairesBroken,
    count_orgs,
    load_demo_county,
    planted_effects,
)
from surveyapp.demo.county import DEMO_USERNAMES
from surveyapp.extensions import db
from surveyapp.labels import ROLE_LABELS
from surveyapp.models import User

demo_cli = OneLineGroup("demo", help="演示县：载入合成数据，列出演示账号。")


@demo_cli.command("load")
@click.option(
    "--seed",
    type=click.IntRange(0, 2**32 - 1),
    default=1,
    show_default=True,
    help="随机种子：同一种子、同一规模得到同样的数据。",
)
@click.option(
    "--size",
    type=click.Choice(SIZES),
    default="small",
    show_default=True,
    help="small：2 个乡镇/街道，供测试；full：14 个乡镇/街道、约 220 个村社。",
)
@click.option("--if-empty", is_flag=True, help="数据库中已有组织机构时什么也不做。")
def load_command(seed: int, size: str, if_empty: bool) -> None:
    """载入确定性的合成演示县。"""
    existing = count_orgs(db.session)
    if existing and if_empty:
        click.echo(f"数据库中已有 {existing} 个组织机构，未载入演示县。")
        return
    started = time.perf_counter()
    try:
        summary = load_demo_county(
            db.session,
            seed=seed,
            size=size,
            questionnaires_dir=current_app.config.get("QUESTIONNAIRES_DIR"),
        )
    except CountyNotEmpty:
        raise CliError(
            f"数据库中已有 {existing} 个组织机构；演示县只能载入空数据库（加 --if-empty 可跳过）"
        ) from None
    except QuestionnairesBroken as error:
        raise CliError(f"问卷文件未通过检查，演示县未载入：{error}") from None
    db.session.commit()
    click.echo(f"{summary.describe()}；用时 {time.perf_counter() - started:.1f} 秒。")


@demo_cli.command("planted", with_appcontext=False)
@click.option("--seed", type=click.IntRange(0, 2**32 - 1), default=1, show_default=True)
@click.option("--size", type=click.Choice(SIZES), default="small", show_default=True)
def planted_command(seed: int, size: str) -> None:
    """以 JSON 输出演示县埋设的真实效应（供核对指数结果）。"""
    click.echo(json.dumps(planted_effects(seed, size).to_dict(), ensure_ascii=False, indent=2))


@demo_cli.command("logins")
def logins_command() -> None:
    """列出演示账号（用户名、密码、角色、范围）。"""
    users = {
        u.username: u
        for u in db.session.scalars(select(User).where(User.username.in_(DEMO_USERNAMES)))
    }
    if not users:
        click.echo("数据库中没有演示账号（先运行 flask demo load）。")
        return
    rows = [("用户名", "密码", "角色", "范围")]
    for username in DEMO_USERNAMES:
        user = users.get(username)
        if user is None:
            continue
        scope = user.scope_org.name if user.scope_org else "全部"
        if user.person is not None:
            scope = f"{scope}·{user.person.name}"
        rows.append((username, DEMO_PASSWORDS[user.role], str(ROLE_LABELS[user.role]), scope))
    widths = [max(_width(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        click.echo("  ".join(_pad(cell, w) for cell, w in zip(row, widths, strict=True)).rstrip())


def _width(text: str) -> int:
    """Columns a string takes in a terminal: CJK characters are two wide."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
