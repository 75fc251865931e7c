"""What a signed-in cadre or member is asked to answer: self-assessments, peer ratings, the
village organisation review and 民主测评 ballots, each begun through the shared form runner.

Who may answer is decided from the questionnaire's metadata (audience, subject), the wave's
targets and, for ballots, `Eligibility` (set by an admin with ``set_voters``: the wave page's
upload, or ``flask waves voters``); "has answered" is `Participation`. Neither table is
joined to a response, and a ballot's response carries no respondent, so a ballot cannot be
traced to its voter from the database.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.models import Eligibility, Participation, Person, Role, User, Wave, WaveStatus
from surveyapp.services import audit
from surveyapp.services.definitions import wave_definition
from surveyapp.services.submissions import begin_draft, is_targeted

AUDIENCE_OF_ROLE = {Role.CADRE: "cadre", Role.MEMBER: "member"}


class NoSuchTask(LookupError):
    """The user is not asked to answer this wave about this subject (or already has)."""


@dataclass(frozen=True, slots=True)
class Task:
    wave_code: str
    wave_name: str
    title: str
    subject_key: str  # "-", "person:<code>" or "org:<code>", as in Participation
    subject_name: str
    is_ballot: bool
    done: bool


def tasks_for(user: User) -> list[Task]:
    """Every open wave's questionnaire the user's person is asked to answer, and about whom."""
    person, audience = user.person, AUDIENCE_OF_ROLE.get(user.role)
    if person is None or audience is None:
        return []
    done = set(db.session.execute(
        sa.select(Participation.wave_id, Participation.subject_key)
        .where(Participation.person_id == person.id)).all())
    eligible = set(db.session.scalars(
        sa.select(Eligibility.wave_id).where(Eligibility.person_id == person.id)))
    tasks = []
    for wave in db.session.scalars(
            sa.select(Wave).where(Wave.status == WaveStatus.OPEN).order_by(Wave.code)):
        definition = wave.questionnaire_version.definition
        if audience not in definition.get("audience", []) or not is_targeted(wave, person.org):
            continue
        for key, name in _subjects(wave, definition, person, eligible):
            tasks.append(Task(wave.code, wave.name, definition["title"], key, name,
                              _is_ballot(definition), (wave.id, key) in done))
    return tasks


def _is_ballot(definition: dict) -> bool:
    subject = definition.get("subject") or {}
    return subject.get("kind") == "person" and subject.get("role") == "cadre"


def _subjects(wave: Wave, definition: dict, person: Person, eligible: set[int]
              ) -> list[tuple[str, str]]:
    subject = definition.get("subject")
    if subject is None:
        return [("-", person.name)]
    if subject["kind"] == "organisation":
        return [(f"org:{person.org.code}", person.org.name)] if subject["role"] == "village" \
            and person.org.kind.level == "village" else []
    if _is_ballot(definition) and wave.id not in eligible:
        return []
    wanted = Person.is_cadre if subject["role"] == "cadre" else Person.is_member
    colleagues = db.session.scalars(
        sa.select(Person).where(Person.org_id == person.org_id, wanted,
                                Person.retired_at.is_(None)).order_by(Person.code))
    return [(f"person:{p.code}", p.name) for p in colleagues
            if p.id != person.id or subject.get("self_rating")]


def begin_task(user: User, wave_code: str, subject_key: str, next_url: str) -> tuple[Any, str]:
    """A draft for one of the user's open tasks; NoSuchTask for anything else."""
    task = next((t for t in tasks_for(user)
                 if (t.wave_code, t.subject_key) == (wave_code, subject_key) and not t.done), None)
    if task is None:
        raise NoSuchTask(f"{wave_code}/{subject_key}")
    wave = db.session.scalar(sa.select(Wave).where(Wave.code == wave_code))
    person = user.person
    context: dict[str, Any] = {"recruitment": "account", "mode": "self", "person_id": person.id,
                               "next_url": next_url}
    kind, _sep, code = subject_key.partition(":")
    if kind == "person":
        context["subject_person_id"] = db.session.scalar(
            sa.select(Person.id).where(Person.code == code))
    elif kind == "org":
        context["subject_org_id"] = person.org_id
    return begin_draft(wave, person.org, context=context)


# --- eligible voters ------------------------------------------------------------------------

CODE_HEADERS = {"code", "person_code", "人员编码", "编码"}


class NotABallotWave(ValueError):
    """Voters are set only for a wave whose questionnaire is a ballot."""


@dataclass(frozen=True, slots=True)
class CodeProblem:
    line: int  # 1-based line of the CSV or pasted text
    message: str  # Chinese, for the admin


class VotersNotValid(ValueError):
    """Some lines name no usable person; nothing was written."""

    def __init__(self, problems: list[CodeProblem]) -> None:
        super().__init__(f"{len(problems)} bad voter lines")
        self.problems = problems


def read_codes(text: str) -> list[tuple[int, str]]:
    """(line, person code) from CSV text or pasted codes: the first column of each non-empty
    line; a header naming the column (code, person_code, 人员编码, 编码) is skipped."""
    rows = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    codes = []
    for row in rows:
        line, first = rows.line_num, (row[0].strip() if row else "")
        if first and not (line == 1 and first.lower() in CODE_HEADERS):
            codes.append((line, first))
    return codes


def is_ballot_wave(wave: Wave) -> bool:
    return _is_ballot(wave_definition(wave.id).definition)


def voters(wave: Wave) -> list[Person]:
    """The wave's eligible voters, by code."""
    return list(db.session.scalars(
        sa.select(Person).join(Eligibility, Eligibility.person_id == Person.id)
        .where(Eligibility.wave_id == wave.id).order_by(Person.code)))


def set_voters(wave: Wave, codes: list[tuple[int, str]], user: User | None) -> int:
    """Make exactly these people the wave's eligible voters; return how many.

    Each code must name a current (not retired) person of an organisation the wave surveys.
    Raises NotABallotWave, or VotersNotValid listing every bad line, writing nothing.
    """
    if not is_ballot_wave(wave):
        raise NotABallotWave(wave.code)
    if not codes:
        raise VotersNotValid([CodeProblem(1, "没有人员编码")])
    wanted = {code for _line, code in codes}
    people = {p.code: p
              for p in db.session.scalars(sa.select(Person).where(Person.code.in_(wanted)))}
    problems = [problem for line, code in codes
                if (problem := _voter_problem(wave, line, code, people.get(code)))]
    if problems:
        raise VotersNotValid(problems)
    ids = {people[code].id for code in wanted}
    db.session.execute(sa.delete(Eligibility).where(Eligibility.wave_id == wave.id,
                                                    Eligibility.person_id.not_in(ids)))
    present = set(db.session.scalars(
        sa.select(Eligibility.person_id).where(Eligibility.wave_id == wave.id)))
    db.session.add_all(Eligibility(wave_id=wave.id, person_id=person_id)
                       for person_id in sorted(ids - present))
    audit.record("wave.voters", user=user, target_type="wave", target=wave.code,
                 detail={"voters": len(ids)})
    db.session.commit()
    return len(ids)


def _voter_problem(wave: Wave, line: int, code: str, person: Person | None) -> CodeProblem | None:
    if person is None:
        return CodeProblem(line, f"没有编码为 {code} 的人员")
    if person.retired_at is not None:
        return CodeProblem(line, f"人员 {code}（{person.name}）已离任")
    if not is_targeted(wave, person.org):
        return CodeProblem(line, f"人员 {code}（{person.name}）不属于本轮调查对象单位")
    return None
