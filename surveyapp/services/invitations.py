"""One-time tokens printed on slips: a linked household rates the party member who serves it.

Only the SHA-256 of a token is stored, so the database alone cannot produce a working link, and
nothing ties a token to a household: the household code is printed on the paper slip (to hand
it to the right door) and never stored. A token is used by a conditional
``UPDATE … SET used_at = now WHERE id = … AND used_at IS NULL``: of any number of concurrent
submissions exactly one updates the row, so a slip counts once.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app

from surveyapp.extensions import db
from surveyapp.models import Household, Invitation, Org, Person, User, Wave
from surveyapp.models.base import utcnow
from surveyapp.models.people import member_household
from surveyapp.services import audit
from surveyapp.services.waves import qr_svg, render_pdf, require_open

CHINA = timezone(timedelta(hours=8))


class TokenUnknown(LookupError):
    """No invitation has this token."""


class TokenUsed(ValueError):
    """The token has already been used."""


class TokenExpired(ValueError):
    """The token's wave has ended or the slip was reissued."""


class SlipsExist(ValueError):
    """The village already has slips for this wave; reissuing must be asked for."""


class NotASlipWave(ValueError):
    """The wave's questionnaire is not one that households answer about a member."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_url(token: str) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL']}/t/{token}"


def is_slip_wave(wave: Wave) -> bool:
    definition = wave.questionnaire_version.definition
    subject = definition.get("subject") or {}
    return "household" in definition.get("audience", []) and subject.get("kind") == "person"


@dataclass(frozen=True, slots=True)
class Slip:
    household_code: str
    member_code: str
    member_name: str
    url: str


def wave_end(wave: Wave) -> datetime:
    """The end of the wave's last day in China, as a UTC time."""
    return datetime.combine(wave.ends_on + timedelta(days=1), time(0), CHINA).astimezone(UTC)


def issue_slips(wave: Wave, village: Org, *, reissue: bool = False, user: User | None = None
                ) -> list[Slip]:
    """A token for every (member, linked household) pair of the village. Commits once.

    Reissuing expires the village's unused slips of this wave first, so a lost batch of
    slips stops working the moment a new batch is printed.
    """
    if not is_slip_wave(wave):
        raise NotASlipWave(wave.code)
    existing = sa.select(Invitation.id).where(Invitation.wave_id == wave.id,
                                              Invitation.org_id == village.id)
    if db.session.scalar(sa.select(sa.func.count()).select_from(existing.subquery())):
        if not reissue:
            raise SlipsExist(f"{wave.code}/{village.code}")
        db.session.execute(
            sa.update(Invitation)
            .where(Invitation.wave_id == wave.id, Invitation.org_id == village.id,
                   Invitation.used_at.is_(None))
            .values(expires_at=utcnow())
        )
    pairs = db.session.execute(
        sa.select(Person, Household.code)
        .join(member_household, member_household.c.person_id == Person.id)
        .join(Household, Household.id == member_household.c.household_id)
        .where(Household.village_id == village.id, Person.is_member, Person.retired_at.is_(None))
        .order_by(Household.code, Person.code)
    ).all()
    slips, expires_at = [], wave_end(wave)
    for person, household_code in pairs:
        token = secrets.token_urlsafe(16)
        db.session.add(Invitation(wave_id=wave.id, token_hash=hash_token(token), org_id=village.id,
                                  subject_person_id=person.id, expires_at=expires_at))
        slips.append(Slip(household_code, person.code, person.name, token_url(token)))
    audit.record("wave.slips", user=user, target_type="wave", target=wave.code,
                 detail={"village": village.code, "slips": len(slips), "reissue": reissue})
    db.session.commit()
    return slips


def find_invitation(token: str) -> Invitation:
    """The unused, unexpired invitation of an open wave that this token opens.

    Raises TokenUnknown, TokenUsed, TokenExpired or WaveNotOpen.
    """
    invitation = db.session.scalar(
        sa.select(Invitation).where(Invitation.token_hash == hash_token(token))
    )
    if invitation is None:
        raise TokenUnknown()
    if invitation.used_at is not None:
        raise TokenUsed()
    if invitation.expires_at <= utcnow():
        raise TokenExpired()
    require_open(invitation.wave)
    return invitation


def slip_context(invitation: Invitation) -> dict[str, Any]:
    """Plain data for the page a household sees before starting: whom they rate."""
    subject = db.session.get(Person, invitation.subject_person_id)
    return {
        "wave_name": invitation.wave.name,
        "title": invitation.wave.questionnaire_version.title,
        "member_name": subject.name if subject else "",
        "village_name": db.session.get(Org, invitation.org_id).name,
    }


def use_invitation(invitation_id: int) -> None:
    """Mark the invitation used, or raise TokenUsed when someone got there first.

    Does not commit: the caller commits it together with the response it admits, so a
    failed submission leaves the token usable and a used token always has its response.
    """
    result = db.session.execute(
        sa.update(Invitation)
        .where(Invitation.id == invitation_id, Invitation.used_at.is_(None))
        .values(used_at=utcnow())
    )
    if result.rowcount != 1:
        raise TokenUsed()


def slips_pdf(wave: Wave, village: Org, slips: list[Slip]) -> bytes:
    return render_pdf(
        "print/slips.html",
        title=wave.questionnaire_version.title,
        wave_name=wave.name,
        village_name=village.name,
        ends_on=wave.ends_on.isoformat(),
        slips=[
            {"household": s.household_code, "member": s.member_name, "url": s.url,
             "qr_svg": qr_svg(s.url)}
            for s in slips
        ],
    )


def write_slips_pdf(wave: Wave, village: Org, slips: list[Slip], out_dir: Path) -> Path:
    path = out_dir / f"{wave.code}-{village.code}-slips.pdf"
    path.write_bytes(slips_pdf(wave, village, slips))
    return path

