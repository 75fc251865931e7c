"""Waves: finding them by code, creating, opening and closing them, their villages' links and
QR posters, and their progress per village.

Posters are plain data → a Jinja template in ``templates/print/`` → WeasyPrint, with a URL
fetcher that serves nothing: the QR code is inline SVG and the font is the system's Noto Sans
CJK, so a poster never depends on (or leaks to) the network.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import segno
import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale

from surveyapp.extensions import db
from surveyapp.models import (
    VILLAGE_KINDS,
    Org,
    Outcome,
    QuestionnaireVersion,
    Response,
    SampledHousehold,
    User,
    Wave,
    WaveStatus,
)
from surveyapp.services import audit
from surveyapp.services.scope import subtree_ids


class WaveNotFound(LookupError):
    """No wave has this code."""


class OrgNotFound(LookupError):
    """No organisation of the wave has this code."""


class WaveNotOpen(ValueError):
    """The wave is not open for answers (still a draft, or closed)."""


class InvalidWave(ValueError):
    """The wave's settings are inconsistent; the message says which and why."""


def get_wave(code: str) -> Wave:
    wave = db.session.scalar(sa.select(Wave).where(Wave.code == code))
    if wave is None:
        raise WaveNotFound(code)
    return wave


def wave_villages(wave: Wave) -> list[Org]:
    """The villages and communities under the wave's target organisations, by code."""
    ids: set[int] = set()
    for target in wave.targets:
        ids |= subtree_ids(target.id)
    if not ids:
        return []
    return list(
        db.session.scalars(
            sa.select(Org)
            .where(Org.id.in_(ids), Org.kind.in_(VILLAGE_KINDS), Org.retired_at.is_(None))
            .order_by(Org.code)
        )
    )


def get_village(wave: Wave, code: str) -> Org:
    for village in wave_villages(wave):
        if village.code == code:
            return village
    raise OrgNotFound(code)


def require_open(wave: Wave) -> Wave:
    if wave.status is not WaveStatus.OPEN:
        raise WaveNotOpen(wave.code)
    return wave


# --- links and posters -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VillageLink:
    code: str
    name: str
    url: str


def village_url(wave: Wave, village: Org) -> str:
    """The public address printed on the village's poster (the citizen form's route)."""
    return f"{current_app.config['PUBLIC_BASE_URL']}/s/{wave.code}/{village.code}"


def village_links(wave: Wave) -> list[VillageLink]:
    return [VillageLink(v.code, v.name, village_url(wave, v)) for v in wave_villages(wave)]


def qr_svg(url: str) -> str:
    """The QR code as an inline SVG element: vector, so it prints sharp at any size."""
    qr = segno.make(url, error="m", micro=False)
    return qr.svg_inline(scale=10, border=2, dark="#000", omitsize=True)


def _refuse_fetch(url: str, timeout: int = 10, ssl_context: Any = None) -> dict:
    raise ValueError(f"print templates load nothing from outside: {url}")


def render_pdf(template: str, **context: Any) -> bytes:
    """A print template rendered to PDF in Chinese, fetching nothing from any URL."""
    from weasyprint import HTML

    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        html = render_template(template, **context)
    return HTML(string=html, url_fetcher=_refuse_fetch).write_pdf()


def poster_context(wave: Wave, village: Org) -> dict[str, Any]:
    """Plain data for a poster: strings and dates only, no database objects."""
    url = village_url(wave, village)
    return {
        "wave_name": wave.name,
        "title": wave.questionnaire_version.title,
        "village_name": village.name,
        "township_name": village.parent.name if village.parent else "",
        "starts_on": wave.starts_on.isoformat(),
        "ends_on": wave.ends_on.isoformat(),
        "minutes": wave.questionnaire_version.definition.get("estimated_minutes"),
        "url": url,
        "qr_svg": qr_svg(url),
    }


def poster_pdf(wave: Wave, village: Org) -> bytes:
    return render_pdf("print/poster.html", **poster_context(wave, village))


def write_posters(wave: Wave, out_dir: Path, villages: Sequence[Org] | None = None
                  ) -> list[Path]:
    """One A4 PDF per village, named ``<wave>-<village>.pdf``, in an existing folder."""
    written = []
    for village in villages if villages is not None else wave_villages(wave):
        path = out_dir / f"{wave.code}-{village.code}.pdf"
        path.write_bytes(poster_pdf(wave, village))
        written.append(path)
    return written


# --- listing, creating, opening and closing ------------------------------------------------


@dataclass(frozen=True, slots=True)
class WaveListRow:
    code: str
    name: str
    questionnaire_id: str
    version: str
    status: WaveStatus
    starts_on: date
    ends_on: date
    responses: int


def list_wave_rows() -> list[WaveListRow]:
    """Every wave with its response count, newest first (one grouped count)."""
    counts = dict(
        db.session.execute(
            sa.select(Response.wave_id, sa.func.count()).group_by(Response.wave_id)
        ).all()
    )
    query = (
        sa.select(Wave, QuestionnaireVersion)
        .join(Wave.questionnaire_version)
        .order_by(Wave.starts_on.desc(), Wave.code)
    )
    return [
        WaveListRow(w.code, w.name, q.questionnaire_id, q.version, w.status, w.starts_on,
                    w.ends_on, counts.get(w.id, 0))
        for w, q in db.session.execute(query)
    ]


def current_versions() -> list[QuestionnaireVersion]:
    """The newest stored version of each instrument (indices files left out)."""
    newest: dict[str, QuestionnaireVersion] = {}
    query = sa.select(QuestionnaireVersion).order_by(QuestionnaireVersion.id)
    for row in db.session.scalars(query):
        if row.definition.get("kind", "questionnaire") == "questionnaire":
            newest[row.questionnaire_id] = row
    return [newest[k] for k in sorted(newest)]


def create_wave(
    *,
    code: str,
    name: str,
    questionnaire_version_id: int,
    target_codes: Iterable[str],
    starts_on: date,
    ends_on: date,
    target_per_village: int | None,
    user: User | None,
) -> Wave:
    """A new wave in draft status. Raises InvalidWave naming the field that is wrong."""
    if db.session.scalar(sa.select(Wave.id).where(Wave.code == code)) is not None:
        raise InvalidWave(f"code: 编号 {code} 已被使用")
    if ends_on < starts_on:
        raise InvalidWave("ends_on: 结束日期不能早于开始日期")
    version = db.session.get(QuestionnaireVersion, questionnaire_version_id)
    if version is None or version.definition.get("kind", "questionnaire") != "questionnaire":
        raise InvalidWave("questionnaire: 问卷不存在")
    codes = sorted(set(target_codes))
    targets = list(db.session.scalars(sa.select(Org).where(Org.code.in_(codes)).order_by(Org.code)))
    if not codes or len(targets) != len(codes):
        unknown = sorted(set(codes) - {t.code for t in targets})
        raise InvalidWave(f"targets: 未知的组织编码 {'、'.join(unknown) or '（未选择）'}")
    wave = Wave(code=code, name=name, questionnaire_version=version, starts_on=starts_on,
                ends_on=ends_on, target_per_village=target_per_village, targets=targets)
    db.session.add(wave)
    audit.record("wave.create", user=user, target_type="wave", target=code)
    db.session.commit()
    return wave


def set_status(wave: Wave, status: WaveStatus, user: User | None) -> Wave:
    """Open a draft wave or close an open one; other moves are refused."""
    allowed = {WaveStatus.OPEN: WaveStatus.DRAFT, WaveStatus.CLOSED: WaveStatus.OPEN}
    if allowed.get(status) is not wave.status:
        raise InvalidWave(f"status: 不能从{wave.status.value}改为{status.value}")
    wave.status = status
    audit.record(f"wave.{status.value}", user=user, target_type="wave", target=wave.code)
    db.session.commit()
    return wave


# --- progress -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VillageProgress:
    code: str
    name: str
    township: str
    responses: int
    target: int | None
    flagged: int
    drawn: int
    complete: int
    refused: int
    non_contact: int
    pending: int

    @property
    def flagged_share(self) -> float | None:
        return self.flagged / self.responses if self.responses else None

    @property
    def share_of_target(self) -> float | None:
        return self.responses / self.target if self.target else None


def progress(wave: Wave, visible: set[int] | None = None) -> list[VillageProgress]:
    """Per village: responses against the target, flagged responses, and the drawn sample's
    outcomes. Two grouped queries, whatever the number of villages."""
    flagged = sa.or_(Response.flag_too_fast, Response.flag_straightline, Response.flag_burst)
    responses = {
        org_id: (n, f or 0)
        for org_id, n, f in db.session.execute(
            sa.select(Response.org_id, sa.func.count(),
                      sa.func.sum(sa.case((flagged, 1), else_=0)))
            .where(Response.wave_id == wave.id)
            .group_by(Response.org_id)
        )
    }
    outcomes: dict[int, dict[Outcome, int]] = {}
    for village_id, outcome, n in db.session.execute(
        sa.select(SampledHousehold.village_id, SampledHousehold.outcome, sa.func.count())
        .where(SampledHousehold.wave_id == wave.id)
        .group_by(SampledHousehold.village_id, SampledHousehold.outcome)
    ):
        outcomes.setdefault(village_id, {})[outcome] = n
    rows = []
    for village in wave_villages(wave):
        if visible is not None and village.id not in visible:
            continue
        n, f = responses.get(village.id, (0, 0))
        done = outcomes.get(village.id, {})
        rows.append(
            VillageProgress(
                village.code, village.name, village.parent.name if village.parent else "",
                n, wave.target_per_village, f, sum(done.values()),
                done.get(Outcome.COMPLETE, 0), done.get(Outcome.REFUSED, 0),
                done.get(Outcome.NON_CONTACT, 0), done.get(Outcome.PENDING, 0),
            )
        )
    return rows


def target_choices() -> list[Org]:
    """Organisations a wave can target: the county, townships and villages still in use."""
    return list(
        db.session.scalars(
            sa.select(Org).where(Org.retired_at.is_(None)).order_by(Org.code)
        )
    )
