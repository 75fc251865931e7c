"""Drafts and submissions: from a first page to one stored, anonymous response.

Every entry point (a village's poster link, an interviewer's drawn household, a household's
slip, a signed-in cadre or member) calls ``begin_draft`` with a ``context`` saying how the
respondent was recruited, then hands the browser to the form runner in ``surveyapp.public``.
The runner saves each page with ``save_section`` and ends with ``submit``.

Context keys (kept in ``Draft.context``, deleted with the draft):

- ``recruitment`` (``Recruitment`` value, default "poster"), ``mode`` (``Mode``, default "self");
- ``weight`` (drawn households), ``sampled_household_id`` (its outcome becomes complete);
- ``invitation_id`` (the slip is used up on submission), ``person_id`` (a signed-in respondent:
  a Participation row is written, and for a named instrument the response names them);
- ``subject_person_id``, ``subject_org_id`` (whom the questionnaire rates);
- ``browser_hash`` (set by ``begin_poster_draft``: one response per browser and village);
- ``next_url`` (where the thank-you page links back to).

Storage rules:

- The response holds no IP, browser header, account, cookie value or time: the day only
  (``submitted_on``, the date in ``BABEL_DEFAULT_TIMEZONE``, Asia/Shanghai) and a coarse
  duration bucket computed from ``Draft.started_at``, which is deleted with the draft.
- ``submit`` is one transaction whose first statement deletes the draft (``DELETE …
  RETURNING``). That claims the draft: on SQLite the write lock is taken at once, so concurrent
  writers queue on the busy timeout instead of failing on a stale read snapshot; on PostgreSQL a
  second request for the same draft waits on the row and then finds it gone. The last page's
  answers, when the runner sends them along (``record_section(…, submit_key=…)``), are merged
  in that same transaction instead of being saved to the draft first: a final submission
  commits once.
- A retried submit (double tap) finds a ``SubmissionReceipt`` under the same key hash for an
  hour and raises ``DraftAlreadySubmitted``; the runner shows the thank-you page again.
- Quality flags never block or delete: too fast (under ``TOO_FAST_SHARE`` of the median of
  the last ``DURATION_SAMPLES_FOR_MEDIAN`` ``DurationSample`` seconds, once
  ``TOO_FAST_MIN_SAMPLES`` exist), straight-lining (at least ``STRAIGHTLINE_MIN_ITEMS`` likert
  answers, all at the same scale position), burst (the ``BURST_COUNT``-th or later poster
  submission for one village within ``BURST_WINDOW_SECONDS``).

Cost per submission (the collection benchmark in docs/benchmarks.md): the definition comes from
the per-process cache in ``surveyapp.services.definitions``. A last page posted with 提交 goes
to ``submit_last_page``, whose transaction begins with the claiming DELETE: it returns the
draft with its wave's status and version, so the draft is not read by a query of its own; the
page is checked against it, and the response's INSERT counts the burst window itself. A final
poster submission so runs 6 statements on SQLite (the DELETE and five INSERTs) and 2 on
PostgreSQL (the side rows ride along the response's INSERT as CTEs), one commit, in a
transaction of its own beside the ORM session (``database.write_transaction``: no unit of
work); those statements are compiled once per process and run straight on the driver
(``database.DriverStatement``). The answers are checked by rules worked out once per
questionnaire version (``questionnaire.answers.Rules``). On SQLite the transaction waits its
turn in ``database.writer_turn`` (a file lock handed over at once) instead of in SQLite's
sleeping busy handler. Other pages read the draft with one query and save it with one UPDATE.
The median of a wave's durations is read at most once per ``DURATION_MEDIAN_MAX_AGE`` seconds
per process (a flag compares with a median up to that old, which moves little over a few
hundred samples); expired receipts and ``RecentSubmission`` rows are pruned at most once per
``PRUNE_INTERVAL_SECONDS`` per process, so burst times outlive their window by at most that
interval while submissions keep coming.
"""

from __future__ import annotations

import hashlib
import secrets
import statistics
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import MultiDict

from surveyapp.database import DriverStatement, driver_insert, write_transaction, writer_turn
from surveyapp.extensions import db
from surveyapp.models import (
    VILLAGE_KINDS,
    Draft,
    DurationBucket,
    DurationSample,
    Invitation,
    Mode,
    Org,
    Outcome,
    Participation,
    Person,
    QuestionnaireVersion,
    RecentSubmission,
    Recruitment,
    Response,
    SampledHousehold,
    SubmissionReceipt,
    SubmittedBrowser,
    Wave,
    WaveStatus,
)
from surveyapp.models.base import utcnow
from surveyapp.models.collection import participation_key
from surveyapp.questionnaire.answers import (
    answer_problems,
    clean_answers,
    is_empty,
    rules_of,
    shown_items,
)
from surveyapp.services.definitions import WaveDefinition, definition_of, wave_definition
from surveyapp.services.forms import read_posted
from surveyapp.services.quiz import QuizScore, quiz_scores

DRAFT_LIFETIME = timedelta(days=7)
RECEIPT_LIFETIME = timedelta(hours=1)
DEFAULTS = {
    "TOO_FAST_SHARE": 1 / 3,
    "TOO_FAST_MIN_SAMPLES": 10,
    "DURATION_SAMPLES_FOR_MEDIAN": 200,
    "STRAIGHTLINE_MIN_ITEMS": 6,
    "BURST_COUNT": 10,
    "BURST_WINDOW_SECONDS": 600,
    "DURATION_MEDIAN_MAX_AGE": 30,
    "PRUNE_INTERVAL_SECONDS": 60,
}
BUCKETS = ((60, DurationBucket.UNDER_1M), (180, DurationBucket.M1_3),
           (300, DurationBucket.M3_5), (600, DurationBucket.M5_10))
NEWLY_SHOWN_REQUIRED = "请回答这道题"
NEWLY_SHOWN_OPTIONAL = "根据您上面的回答新出现了这道题，可以选填，也可以留空"


class WaveNotOpen(Exception):
    """The wave is not taking answers (not opened yet, or closed)."""


class UnknownWaveOrOrg(Exception):
    """No such wave, no such organisation, or the organisation is not surveyed by the wave."""


class AlreadySubmitted(Exception):
    """This browser, person or invitation has already answered the wave."""


class DraftNotFound(Exception):
    """No live draft under this key: never made, expired, or tampered with."""


class DraftAlreadySubmitted(Exception):
    """This very draft was submitted a moment ago (a retried POST); show the thank-you again."""

    def __init__(self, next_url: str | None) -> None:
        super().__init__("draft already submitted")
        self.next_url = next_url


class AnswersIncomplete(Exception):
    """Submitting found problems (item id -> Chinese message), first in ``section``."""

    def __init__(self, problems: dict[str, str], section: int) -> None:
        super().__init__(f"{len(problems)} answer problems")
        self.problems = problems
        self.section = section


@dataclass(frozen=True, slots=True)
class StoredResponse:
    """What a submission stored in its ``Response`` row, as plain values (building a detached
    ORM object cost a twentieth of a submission)."""

    id: int
    wave_id: int
    questionnaire_version_id: int
    org_id: int
    subject_person_id: int | None
    subject_org_id: int | None
    is_anonymous: bool
    respondent_person_id: int | None
    answers: dict[str, Any]
    submitted_on: date
    duration_bucket: DurationBucket
    recruitment: Recruitment
    mode: Mode
    weight: float | None
    flag_too_fast: bool
    flag_straightline: bool
    flag_burst: bool


@dataclass(frozen=True, slots=True)
class Submitted:
    """A stored submission and what the thank-you page may show the respondent, once."""

    response: StoredResponse
    next_url: str | None
    quiz: tuple[QuizScore, ...]  # the respondent's own quiz result, never stored


@dataclass(frozen=True, slots=True)
class SectionResult:
    errors: dict[str, str]
    next_section: int  # where the respondent goes on from here
    submitted: Submitted | None = None  # the last page, submitted along with its answers
    saved: dict[str, Any] | None = None  # the draft's answers as now stored (when not submitted)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def setting(name: str) -> Any:
    return current_app.config.get(name, DEFAULTS[name])


# --- starting -------------------------------------------------------------------------------


def find_public_link(wave_code: str, village_code: str) -> tuple[Wave, Org]:
    """The wave and village of a poster link ``/s/<wave>/<village>``.

    Raises UnknownWaveOrOrg when either is unknown, the org is not a live village targeted by
    the wave, or the questionnaire is not one citizens answer anonymously about no person;
    WaveNotOpen when the wave is not open.
    """
    wave = db.session.scalar(sa.select(Wave).where(Wave.code == wave_code))
    org = db.session.scalar(sa.select(Org).where(Org.code == village_code))
    if wave is None or org is None or org.kind not in VILLAGE_KINDS or org.retired_at:
        raise UnknownWaveOrOrg(f"{wave_code}/{village_code}")
    definition = wave_definition(wave.id).definition
    subject = definition.get("subject")
    if "citizen" not in definition.get("audience", []) or (subject and subject["kind"] == "person"):
        raise UnknownWaveOrOrg(f"{wave_code} is not a citizen questionnaire")
    if not is_targeted(wave, org):
        raise UnknownWaveOrOrg(f"{village_code} is not surveyed by {wave_code}")
    if wave.status is not WaveStatus.OPEN:
        raise WaveNotOpen(wave_code)
    return wave, org


def is_targeted(wave: Wave, org: Org) -> bool:
    """Whether ``org`` is one of the wave's targets or lies below one."""
    target_ids = {target.id for target in wave.targets}
    node: Org | None = org
    while node is not None:
        if node.id in target_ids:
            return True
        node = node.parent
    return False


def has_browser_answered(wave: Wave, org: Org, browser_key: str) -> bool:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(SubmittedBrowser).where(
            SubmittedBrowser.wave_id == wave.id,
            SubmittedBrowser.org_id == org.id,
            SubmittedBrowser.browser_hash == hash_key(browser_key),
        )
    ) > 0


def begin_poster_draft(wave: Wave, org: Org, browser_key: str) -> tuple[Draft, str]:
    """A citizen's draft from a poster link; AlreadySubmitted if this browser has answered."""
    if has_browser_answered(wave, org, browser_key):
        raise AlreadySubmitted(f"browser at {org.code}")
    context: dict[str, Any] = {"recruitment": "poster", "mode": "self",
                               "browser_hash": hash_key(browser_key)}
    subject = wave_definition(wave.id).definition.get("subject")
    if subject and subject["kind"] == "organisation":
        context["subject_org_id"] = org.id
    return begin_draft(wave, org, context=context)


def begin_draft(wave: Wave, org: Org, *, context: dict | None = None) -> tuple[Draft, str]:
    """A new draft for ``org`` in ``wave`` and its secret key (stored only as a hash).

    Raises WaveNotOpen, UnknownWaveOrOrg (org not targeted by the wave), and ValueError for a
    context naming an unknown recruitment or mode.
    """
    if wave.status is not WaveStatus.OPEN:
        raise WaveNotOpen(wave.code)
    if not is_targeted(wave, org):
        raise UnknownWaveOrOrg(f"{org.code} is not surveyed by {wave.code}")
    context = dict(context or {"recruitment": "poster", "mode": "self"})
    context.setdefault("recruitment", "poster")
    context.setdefault("mode", "self")
    Recruitment(context["recruitment"])
    Mode(context["mode"])
    wave_id, org_id = wave.id, org.id
    end_reads()
    with writer_turn(db.engine):
        now = utcnow()
        db.session.execute(sa.delete(Draft).where(Draft.expires_at < now))
        key = secrets.token_urlsafe(32)
        draft = Draft(key_hash=hash_key(key), wave_id=wave_id, org_id=org_id, answers={},
                      section=0, started_at=now, expires_at=now + DRAFT_LIFETIME,
                      context=context)
        db.session.add(draft)
        db.session.commit()
    return draft, key


def end_reads() -> None:
    """End the session's transaction so the next one opens with a write.

    SQLite lets a transaction that has read turn into a writer only if nobody wrote in between;
    otherwise it fails at once ("database is locked") instead of waiting on the busy timeout.
    A transaction whose first statement writes takes the lock first, and so waits its turn.
    Values needed afterwards must be read before: committing expires the loaded objects.
    """
    db.session.commit()


# The statements every page and submission runs are built once: a statement object keeps its
# cache key, so running it again skips building and compiling it (about 0.1 ms each).
_DRAFT_BY_KEY = sa.select(Draft).where(Draft.key_hash == sa.bindparam("key_hash"))
# Table columns, not ORM attributes: an ORM-enabled SELECT costs about 25 µs more per run.
_DRAFT_AND_WAVE_BY_KEY = (
    sa.select(*Draft.__table__.c, Wave.__table__.c.code.label("wave_code"),
              Wave.__table__.c.status, Wave.__table__.c.questionnaire_version_id,
              QuestionnaireVersion.__table__.c.content_hash)
    .join(Wave.__table__, Wave.__table__.c.id == Draft.__table__.c.wave_id)
    .join(QuestionnaireVersion.__table__,
          QuestionnaireVersion.__table__.c.id == Wave.__table__.c.questionnaire_version_id)
    .where(Draft.__table__.c.key_hash == sa.bindparam("key_hash"))
)
_RECEIPT_BY_KEY = sa.select(SubmissionReceipt).where(
    SubmissionReceipt.key_hash == sa.bindparam("key_hash"),
    SubmissionReceipt.expires_at > sa.bindparam("now"),
)


def _core(statement: sa.Executable, params: dict[str, Any]) -> sa.CursorResult:
    """Run a Core statement on the session's connection, in its transaction. Through
    ``Session.execute`` every statement also passed the ORM's execution steps, which cost
    about as much as the statement itself on the submission path."""
    return db.session.connection().execute(statement, params)


# What the runner reads a draft as: the ORM object, or a row of its columns (same attributes).
DraftLike = Draft | sa.Row


def _is_plausible_key(key: str) -> bool:
    return bool(key) and len(key) <= 200


def find_draft(key: str) -> Draft | None:
    """The live draft under ``key``; None when unknown or expired."""
    if not _is_plausible_key(key):
        return None
    draft = db.session.scalar(_DRAFT_BY_KEY, {"key_hash": hash_key(key)})
    if draft is None or draft.expires_at <= utcnow():
        return None
    return draft


def find_draft_with_definition(key: str) -> tuple[DraftLike, dict] | None:
    """``find_draft`` and ``draft_definition`` in one query (what every runner page needs).

    The draft comes as a read-only row with the Draft's attributes (``id``, ``section``,
    ``answers`` …), not as an ORM object: loading one cost about a third of a millisecond.
    """
    if not _is_plausible_key(key):
        return None
    row = _core(_DRAFT_AND_WAVE_BY_KEY, {"key_hash": hash_key(key)}).first()
    if row is None or row.expires_at <= utcnow():
        return None
    wave = definition_of(row.wave_id, row.wave_code, row.status, row.questionnaire_version_id,
                         row.content_hash)
    return row, wave.definition


def find_receipt(key: str) -> SubmissionReceipt | None:
    """The receipt of a draft submitted within the last hour under ``key``."""
    if not _is_plausible_key(key):
        return None
    return db.session.scalar(_RECEIPT_BY_KEY, {"key_hash": hash_key(key), "now": utcnow()})


def draft_definition(draft: Draft) -> dict:
    """The definition the draft answers (cached; read-only)."""
    return wave_definition(draft.wave_id).definition


# --- answering ------------------------------------------------------------------------------


def save_section(draft: Draft, section_index: int, raw_form: MultiDict) -> dict[str, str]:
    """Save the valid answers of one section; return item id -> Chinese message for the rest.

    ``raw_form`` may hold ``_seen``: the ids of the items the respondent could see when
    sending (form.js keeps it current). An item that a show_if opened on this very page and the
    respondent has not seen yet is reported too, so a page without JavaScript shows it before
    moving on. Raises DraftNotFound when the draft vanished meanwhile (submitted or expired).
    """
    return record_section(draft, section_index, raw_form).errors


def record_section(draft: DraftLike, section_index: int, raw_form: MultiDict, *,
                   definition: dict | None = None, submit_key: str | None = None
                   ) -> SectionResult:
    """``save_section`` that also says which section to show next.

    With ``submit_key`` (the draft's key), a page that leaves nothing to answer is submitted
    at once with its answers (``SectionResult.submitted``) in the submission's one transaction,
    rather than saved to the draft first; it raises what ``submit`` raises, except that
    AnswersIncomplete saves the page before passing on.
    """
    definition = definition or draft_definition(draft)
    sections = definition["sections"]
    if not 0 <= section_index < len(sections):
        raise DraftNotFound(f"section {section_index}")
    page = _read_page(definition, section_index, draft.answers, raw_form)
    next_section, kept = page.next_section, page.kept
    draft_id, furthest = draft.id, max(draft.section, min(next_section, len(sections) - 1))
    if submit_key is not None and page.is_last:
        try:
            checked = _checked(definition, page.answers, page.problems)
            return SectionResult({}, next_section, finish(submit_key, page=page.given,
                                                          checked=checked))
        except AnswersIncomplete:
            _save(draft_id, kept, furthest)
            raise
    _save(draft_id, kept, furthest)
    return SectionResult(page.errors, next_section, saved=kept)


@dataclass(frozen=True, slots=True)
class _Page:
    """A posted page read against the draft's answers."""

    given: dict[str, Any]  # the page's answers as posted
    answers: dict[str, Any]  # the draft's answers with the page's on top
    problems: dict[str, str]  # answer_problems of ``answers``
    errors: dict[str, str]  # what keeps the respondent on this page, by item id
    kept: dict[str, Any]  # ``answers`` without the ones in error: what the draft saves
    next_section: int  # the section to show next; the section count when none is left
    is_last: bool  # nothing is left to answer: the page submits


def _read_page(definition: dict, section_index: int, answers: dict[str, Any] | None,
               raw_form: MultiDict) -> _Page:
    sections = definition["sections"]
    given, errors = read_posted(definition, section_index, raw_form)
    merged = _merged(answers, given)
    section_ids = [item["id"] for item in sections[section_index]["items"]]
    problems = answer_problems(definition, merged)
    errors |= {item_id: problems[item_id] for item_id in section_ids if item_id in problems}
    errors |= _unseen(definition, section_index, merged, raw_form.get("_seen"))
    kept = {k: v for k, v in merged.items() if k not in errors}
    next_section = section_index if errors else _next_shown(definition, section_index + 1, kept)
    return _Page(given, merged, problems, errors, kept, next_section,
                 next_section == len(sections))


def _merged(answers: dict[str, Any] | None, page: dict[str, Any]) -> dict[str, Any]:
    """The draft's answers with a page's on top; an emptied answer on the page removes it."""
    return {k: v for k, v in {**(answers or {}), **page}.items() if v is not None}


@dataclass(frozen=True, slots=True)
class Checked:
    """What a submission stores and flags, worked out from ``given`` (a draft's answers with
    the last page on top) before the claim takes SQLite's write lock: the claim then holds it
    for the writes alone, and the answers are checked once per submit instead of twice."""

    given: dict[str, Any]
    answers: dict[str, Any]  # ``given`` cleaned: what is stored
    problems: dict[str, str]
    straightline: bool
    quiz: tuple[QuizScore, ...]


def _checked(definition: dict, given: dict[str, Any], problems: dict[str, str] | None = None
             ) -> Checked:
    """``given`` checked as ``_store`` must. ``problems``, when known, are
    ``answer_problems(definition, given)``: for answers without empty values (``_merged``
    drops None, and a read page holds no "", [] or {}) the same items are shown with or
    without the hidden items' answers, so the cleaned answers have the same problems except
    "no such item" for ids the definition lacks, which cleaning drops."""
    answers = clean_answers(definition, given)
    if problems is None or any(is_empty(v) for v in given.values()):
        problems = answer_problems(definition, answers)
    else:
        known = rules_of(definition).items
        problems = {k: v for k, v in problems.items() if k in known}
    if problems:
        return Checked(given, answers, problems, False, ())
    return Checked(given, answers, problems, is_straightline(definition, answers),
                   quiz_scores(definition, answers))


def _save(draft_id: int, answers: dict[str, Any], furthest: int) -> None:
    end_reads()
    with writer_turn(db.engine):
        updated = db.session.execute(
            sa.update(Draft)
            .where(Draft.id == draft_id, Draft.expires_at > utcnow())
            .values(answers=answers, section=furthest)
            .execution_options(synchronize_session=False)
        )
        if updated.rowcount == 0:
            db.session.rollback()
            raise DraftNotFound("draft gone while saving")
        db.session.commit()


def shown_in_section(definition: dict, section_index: int, answers: dict[str, Any]) -> set[str]:
    ids = {item["id"] for item in definition["sections"][section_index]["items"]}
    return ids & set(shown_items(definition, answers))


def _unseen(definition: dict, index: int, answers: dict, seen_field: str | None) -> dict:
    if seen_field is None:
        return {}
    seen = set(seen_field.split(","))
    items = {item["id"]: item for item in definition["sections"][index]["items"]}
    return {
        item_id: NEWLY_SHOWN_REQUIRED if items[item_id]["required"] else NEWLY_SHOWN_OPTIONAL
        for item_id in shown_in_section(definition, index, answers)
        if item_id not in seen and answers.get(item_id) is None
    }


def _next_shown(definition: dict, start: int, answers: dict) -> int:
    """The first section from ``start`` with an item to show; the section count when none."""
    for index in range(start, len(definition["sections"])):
        if shown_in_section(definition, index, answers):
            return index
    return len(definition["sections"])


def previous_shown(definition: dict, before: int, answers: dict) -> int:
    for index in range(before - 1, -1, -1):
        if shown_in_section(definition, index, answers):
            return index
    return 0


def first_problem_section(definition: dict, problems: dict[str, str]) -> int:
    for index, section in enumerate(definition["sections"]):
        if any(item["id"] in problems for item in section["items"]):
            return index
    return 0


# --- submitting -----------------------------------------------------------------------------


def submit(draft_key: str) -> StoredResponse:
    """Store the draft as a response, atomically, and delete the draft (see ``finish``)."""
    return finish(draft_key).response


# The claim also reads the wave's status and questionnaire version: no separate query, and the
# status is read in the transaction that stores (a wave closed a moment ago refuses). Written
# as text because SQLAlchemy renders RETURNING columns without their table, which would leave
# the subqueries' "wave.id = draft.wave_id" ambiguous; both databases accept this statement.
_CLAIM = DriverStatement(sa.text("""
    DELETE FROM draft WHERE key_hash = :key_hash
    RETURNING id, section, wave_id, org_id, answers, started_at, expires_at, context,
        (SELECT wave.code FROM wave WHERE wave.id = draft.wave_id) AS wave_code,
        (SELECT wave.status FROM wave WHERE wave.id = draft.wave_id) AS wave_status,
        (SELECT wave.questionnaire_version_id FROM wave WHERE wave.id = draft.wave_id)
            AS version_id,
        (SELECT questionnaire_version.content_hash FROM wave JOIN questionnaire_version
            ON questionnaire_version.id = wave.questionnaire_version_id
            WHERE wave.id = draft.wave_id) AS content_hash
""").columns(
    *(Draft.__table__.c[name] for name in ("id", "section", "wave_id", "org_id", "answers",
                                           "started_at", "expires_at", "context")),
    sa.column("wave_code", sa.String), sa.column("wave_status", sa.String),
    sa.column("version_id", sa.Integer), sa.column("content_hash", sa.String),
))


def finish(draft_key: str, *, page: dict[str, Any] | None = None,
           checked: Checked | None = None) -> Submitted:
    """Store the draft, with ``page``'s answers on top, as a response, and delete the draft.

    Anything uncommitted in the session is rolled back first; the submission is a transaction
    of its own (``database.write_transaction``) that begins with the claiming DELETE (see the
    module docstring).

    Raises DraftAlreadySubmitted (a retry of a stored submission), DraftNotFound, WaveNotOpen,
    AnswersIncomplete and AlreadySubmitted; nothing is stored when any is raised.
    ``checked`` is the caller's check of the answers it expects the claim to find (see
    ``Checked``); it is used only when the claimed draft's answers with ``page`` on top are
    exactly its ``given``, else they are checked afresh under the lock.
    """
    key_hash = hash_key(draft_key)
    with write_transaction(db.session) as transaction:
        now = utcnow()
        connection = transaction.connection
        claimed = _CLAIM.first(connection, {"key_hash": key_hash})
        if claimed is None or claimed.expires_at <= now:
            transaction.rollback()
            receipt = None if claimed else find_receipt(draft_key)
            if receipt is not None:
                raise DraftAlreadySubmitted(receipt.next_url)
            raise DraftNotFound("no live draft")
        try:
            submitted = _store(connection, claimed, _claimed_wave(claimed),
                               _merged(claimed.answers, page or {}), key_hash, now, checked)
        except IntegrityError as error:
            raise AlreadySubmitted("already answered") from error
        transaction.commit()
    return submitted


def submit_last_page(draft_key: str, draft_id: int, section_index: int, raw_form: MultiDict
                     ) -> Submitted | None:
    """The last page of a draft, posted with "提交", stored as the response in one
    transaction that begins by claiming the draft: the draft is read by the claim itself, not
    by a query of its own before it (on SQLite the draft, its wave and the page are then read
    and checked while the write turn is held, a fraction of a millisecond).

    Only the plain case is handled here: the draft is live, is ``draft_id``, has reached
    ``section_index``, the page has no error and leaves nothing to answer, and the whole
    response stores. Anything else (a wrong or missing draft, a double tap, errors, a page
    whose answers open a later section, a closed wave, a second answer) rolls back, leaving
    the draft as it was, and returns None: ``record_section`` then takes the page as usual
    and says what happened. A stored submission is returned.
    """
    if not _is_plausible_key(draft_key):
        return None
    key_hash = hash_key(draft_key)
    with write_transaction(db.session) as transaction:
        now = utcnow()
        connection = transaction.connection
        claimed = _CLAIM.first(connection, {"key_hash": key_hash})
        if (claimed is None or claimed.expires_at <= now or claimed.id != draft_id
                or section_index > claimed.section):
            return None  # rolled back: the draft stays as it was
        try:
            submitted = _store_last_page(connection, claimed, section_index, raw_form,
                                         key_hash, now)
        except (IntegrityError, WaveNotOpen, AnswersIncomplete, AlreadySubmitted):
            return None
        if submitted is None:
            return None
        transaction.commit()
    return submitted


def _store_last_page(connection: sa.Connection, claimed: Any, section_index: int,
                     raw_form: MultiDict, key_hash: str, now: datetime) -> Submitted | None:
    wave = _claimed_wave(claimed)
    definition = wave.definition
    if not 0 <= section_index < len(definition["sections"]):
        return None
    page = _read_page(definition, section_index, claimed.answers, raw_form)
    if page.errors or not page.is_last:
        return None
    return _store(connection, claimed, wave, page.answers, key_hash, now,
                  _checked(definition, page.answers, page.problems))


def _claimed_wave(claimed: Any) -> WaveDefinition:
    """The wave of a claimed draft, from the columns the claim returned."""
    return definition_of(claimed.wave_id, claimed.wave_code, claimed.wave_status,
                         claimed.version_id, claimed.content_hash)


def _store(connection: sa.Connection, claimed: Any, wave: WaveDefinition, given: dict[str, Any],
           key_hash: str, now: datetime, checked: Checked | None = None) -> Submitted:
    if wave.status is not WaveStatus.OPEN:
        raise WaveNotOpen(wave.code)
    definition = wave.definition
    if checked is None or checked.given != given:
        checked = _checked(definition, given)
    answers, problems = checked.answers, checked.problems
    if problems:
        raise AnswersIncomplete(problems, first_problem_section(definition, problems))
    context = claimed.context or {}
    recruitment = Recruitment(context.get("recruitment", "poster"))
    seconds = max(0, int((now - claimed.started_at).total_seconds()))
    anonymous = bool(definition.get("anonymous", True))
    person_id = context.get("person_id")
    values = dict(
        wave_id=wave.wave_id,
        questionnaire_version_id=wave.version_id,
        org_id=claimed.org_id,
        subject_person_id=context.get("subject_person_id"),
        subject_org_id=context.get("subject_org_id"),
        is_anonymous=anonymous,
        respondent_person_id=None if anonymous else person_id,
        answers=answers,
        submitted_on=local_day(now),
        duration_bucket=duration_bucket(seconds),
        recruitment=recruitment,
        mode=Mode(context.get("mode", "self")),
        weight=context.get("weight"),
        flag_too_fast=_is_too_fast(connection, wave.wave_id, seconds),
        flag_straightline=checked.straightline,
    )
    is_poster = recruitment is Recruitment.POSTER
    rows: list[tuple[type, dict[str, Any]]] = [
        (DurationSample, {"wave_id": wave.wave_id, "seconds": seconds}),
        (SubmissionReceipt, {"key_hash": key_hash, "expires_at": now + RECEIPT_LIFETIME,
                             "next_url": context.get("next_url")}),
    ]
    if is_poster:
        rows.append((RecentSubmission, {"wave_id": wave.wave_id, "org_id": claimed.org_id,
                                        "at": now}))
    rows += _record_side_effects(connection, wave.wave_id, claimed.org_id, context, now)
    response = _insert_response(connection, values, rows, is_poster=is_poster, now=now)
    if _is_due("receipts", now):
        _prune(connection, SubmissionReceipt, SubmissionReceipt.expires_at <= now)
    return Submitted(response, context.get("next_url"), checked.quiz)


# The response goes in by a Core INSERT (the ORM's unit of work cost ~0.5 ms a submission);
# the INSERT itself counts the village's earlier poster submissions in the burst window.
# Counted up to BURST_COUNT only: whether the count reaches it is all the flag needs, and a
# village that really gets a burst would otherwise make every submission count them all.
_EARLIER_IN_BURST_WINDOW = (
    sa.select(sa.func.count()).select_from(
        sa.select(RecentSubmission.id).where(
            RecentSubmission.wave_id == sa.bindparam("burst_wave_id"),
            RecentSubmission.org_id == sa.bindparam("burst_org_id"),
            RecentSubmission.at >= sa.bindparam("burst_since"),
        ).limit(sa.bindparam("burst_count", type_=sa.Integer)).subquery()
    ).scalar_subquery()
)
_INSERT_RESPONSE = (
    sa.insert(Response.__table__)
    .values(flag_burst=sa.and_(
        sa.bindparam("is_poster", type_=sa.Boolean),
        _EARLIER_IN_BURST_WINDOW + 1 >= sa.bindparam("burst_count", type_=sa.Integer),
    ))
    .returning(Response.__table__.c.id, Response.__table__.c.flag_burst)
)
_INSERT_RESPONSE_ON_DRIVER = DriverStatement(_INSERT_RESPONSE)


def _insert_response(connection: sa.Connection, values: dict[str, Any],
                     rows: list[tuple[type, dict[str, Any]]], *, is_poster: bool,
                     now: datetime) -> StoredResponse:
    """Insert the response and the side ``rows`` (model, values); return the response as a
    detached object holding what was stored. Its ``flag_burst`` says whether this is the
    BURST_COUNT-th or later poster submission at the village within BURST_WINDOW_SECONDS,
    counted before this submission's own RecentSubmission row (one of ``rows``).

    On PostgreSQL the side rows ride along as data-modifying CTEs of the response's INSERT:
    one round trip instead of one per row (their sibling INSERTs see the same snapshot, so the
    burst count still leaves this submission out). SQLite has no such CTEs; there each row is
    one more in-process statement, which costs little.
    """
    since = now - timedelta(seconds=setting("BURST_WINDOW_SECONDS"))
    if is_poster and _is_due("recent submissions", now):
        _prune(connection, RecentSubmission, RecentSubmission.at < since)
    params = {**values, "is_poster": is_poster, "burst_wave_id": values["wave_id"],
              "burst_org_id": values["org_id"], "burst_since": since,
              "burst_count": setting("BURST_COUNT")}
    if connection.dialect.name == "postgresql":
        params |= {f"side_{index}_{name}": value for index, (_, row_values) in enumerate(rows)
                   for name, value in row_values.items()}
        row = _with_side_rows(rows).first(connection, params)
    else:
        row = _INSERT_RESPONSE_ON_DRIVER.first(connection, params)
        for model, row_values in rows:
            driver_insert(connection, model.__table__, row_values)
    return StoredResponse(id=row.id, flag_burst=bool(row.flag_burst), **values)


_RESPONSE_WITH_SIDE_ROWS: dict[tuple[tuple[type, tuple[str, ...]], ...], DriverStatement] = {}


def _with_side_rows(rows: list[tuple[type, dict[str, Any]]]) -> DriverStatement:
    """The response's INSERT with the side ``rows`` as data-modifying CTEs, built once per
    shape of rows (which tables, which columns), their values bound as ``side_<n>_<column>``:
    built afresh with the values in it, the statement cost more to build and to look up in
    SQLAlchemy's cache than to run."""
    shape = tuple((model, tuple(row_values)) for model, row_values in rows)
    statement = _RESPONSE_WITH_SIDE_ROWS.get(shape)
    if statement is None:
        statement = DriverStatement(_INSERT_RESPONSE.add_cte(*(
            sa.insert(model.__table__).values({
                name: sa.bindparam(f"side_{index}_{name}", type_=model.__table__.c[name].type)
                for name in names}).cte(f"side_{index}")
            for index, (model, names) in enumerate(shape))))
        _RESPONSE_WITH_SIDE_ROWS[shape] = statement
    return statement


def _record_side_effects(connection: sa.Connection, wave_id: int, org_id: int, context: dict,
                         now: datetime) -> list[tuple[type, dict[str, Any]]]:
    """Marks kept apart from the response: the slip and the drawn household's outcome are
    updated here; the rows to insert along with the response, the duplicate guard and
    participation, are returned. A unique constraint refuses a second answer."""
    rows: list[tuple[type, dict[str, Any]]] = []
    if context.get("browser_hash"):
        rows.append((SubmittedBrowser, {"wave_id": wave_id, "org_id": org_id,
                                        "browser_hash": context["browser_hash"]}))
    if context.get("person_id") is not None:
        rows.append((Participation, {"id": participation_key(), "wave_id": wave_id,
                                     "person_id": context["person_id"],
                                     "subject_key": subject_key(connection, context)}))
    if context.get("invitation_id") is not None:
        used = connection.execute(
            sa.update(Invitation)
            .where(Invitation.id == context["invitation_id"], Invitation.used_at.is_(None))
            .values(used_at=now)
        )
        if used.rowcount == 0:
            raise AlreadySubmitted("invitation already used")
    if context.get("sampled_household_id") is not None:
        connection.execute(
            sa.update(SampledHousehold)
            .where(SampledHousehold.id == context["sampled_household_id"])
            .values(outcome=Outcome.COMPLETE, outcome_on=local_day(now))
        )
    return rows


def subject_key(connection: sa.Connection, context: dict) -> str:
    """Participation's subject: "person:<code>", "org:<code>" or "-"."""
    if context.get("subject_person_id") is not None:
        code = connection.scalar(sa.select(Person.code)
                                 .where(Person.id == context["subject_person_id"]))
        return f"person:{code}"
    if context.get("subject_org_id") is not None:
        code = connection.scalar(sa.select(Org.code).where(Org.id == context["subject_org_id"]))
        return f"org:{code}"
    return "-"


def local_day(moment: datetime) -> date:
    zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Shanghai"))
    return moment.astimezone(zone).date()


def duration_bucket(seconds: int) -> DurationBucket:
    for limit, bucket in BUCKETS:
        if seconds < limit:
            return bucket
    return DurationBucket.OVER_10M


def is_straightline(definition: dict, answers: dict[str, Any]) -> bool:
    """At least STRAIGHTLINE_MIN_ITEMS likert answers (not "don't know"), all at one position."""
    positions = set()
    count = 0
    for item_id, position_of in rules_of(definition).likert_positions.items():
        answer = answers.get(item_id)
        if isinstance(answer, str) and answer in position_of:
            positions.add(position_of[answer])
            count += 1
    return count >= setting("STRAIGHTLINE_MIN_ITEMS") and len(positions) == 1


def _is_too_fast(connection: sa.Connection, wave_id: int, seconds: int) -> bool:
    median = _recent_median(connection, wave_id)
    return median is not None and seconds < setting("TOO_FAST_SHARE") * median


def _recent_median(connection: sa.Connection, wave_id: int) -> float | None:
    """The median of the wave's last DURATION_SAMPLES_FOR_MEDIAN durations (None while fewer
    than TOO_FAST_MIN_SAMPLES exist), read at most once per DURATION_MEDIAN_MAX_AGE seconds."""
    medians = current_app.extensions.setdefault("surveyapp.duration_medians", {})
    read_at, median = medians.get(wave_id, (None, None))
    if read_at is not None and time.monotonic() - read_at < setting("DURATION_MEDIAN_MAX_AGE"):
        return median
    recent = list(connection.scalars(
        sa.select(DurationSample.seconds)
        .where(DurationSample.wave_id == wave_id)
        .order_by(DurationSample.id.desc())
        .limit(setting("DURATION_SAMPLES_FOR_MEDIAN"))
    ))
    median = statistics.median(recent) if len(recent) >= setting("TOO_FAST_MIN_SAMPLES") else None
    medians[wave_id] = (time.monotonic(), median)
    return median


def _is_due(what: str, now: datetime) -> bool:
    """Whether this process last pruned ``what`` PRUNE_INTERVAL_SECONDS ago or more (and so
    prunes now): pruning on every submission cost a locking scan each time."""
    pruned = current_app.extensions.setdefault("surveyapp.pruned", {})
    last = pruned.get(what)
    if last is not None and (now - last).total_seconds() < setting("PRUNE_INTERVAL_SECONDS"):
        return False
    pruned[what] = now
    return True


def _prune(connection: sa.Connection, model: type, condition: Any) -> None:
    # SKIP LOCKED: concurrent submissions pruning the same old rows must not wait on, or
    # deadlock with, each other (PostgreSQL; SQLite has one writer and ignores the clause).
    stale = sa.select(model.id).where(condition).limit(500).with_for_update(skip_locked=True)
    ids = list(connection.scalars(stale))
    if ids:
        connection.execute(sa.delete(model).where(model.id.in_(ids)))
