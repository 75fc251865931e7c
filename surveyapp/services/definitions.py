"""Parsed questionnaire definitions, kept in memory per stored version.

A ``QuestionnaireVersion`` is never edited (a changed file is loaded as a new row), so its
parsed definition can be kept for the life of the process instead of decoding the JSON column
on every request. Entries are keyed by the version's id *and* content hash: a rolled-back load
can free an id that a later load takes with other content (SQLite reuses row ids), and the
hash tells the two apart. The cache grows with the number of versions ever read, which is
small. Each entry also keeps the WTForms classes built for its sections
(``surveyapp.services.forms``) and the rules answers are checked by
(``surveyapp.questionnaire.answers.Rules``), so a page does not work them out again either.

Callers must treat a cached definition as read-only.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.models import QuestionnaireVersion, Wave, WaveStatus
from surveyapp.questionnaire.answers import KeptDefinition


class Definition(KeptDefinition):
    """A parsed definition (a plain dict to every reader) with the rules for checking answers
    and the form classes built from it."""

    __slots__ = ("form_classes",)

    def __init__(self, data: dict[str, Any]) -> None:
        super().__init__(data)
        self.form_classes: dict[int, type] = {}


@dataclass(frozen=True, slots=True)
class WaveDefinition:
    """A wave's state and the definition of the questionnaire version it asks."""

    wave_id: int
    code: str
    status: WaveStatus
    version_id: int
    definition: Definition


_cache: dict[tuple[int, str], Definition] = {}
_lock = threading.Lock()


def cached_definition(version_id: int, content_hash: str) -> Definition:
    """The definition of the version with this id and hash, parsed once per process."""
    key = (version_id, content_hash)
    found = _cache.get(key)
    if found is not None:
        return found
    data = db.session.scalar(
        sa.select(QuestionnaireVersion.definition).where(QuestionnaireVersion.id == version_id)
    )
    if data is None:
        raise LookupError(f"questionnaire version {version_id} not found")
    with _lock:
        return _cache.setdefault(key, Definition(data))


def version_definition_of(version_id: int) -> Definition | None:
    """The cached definition of a stored version, or None when there is no such version."""
    content_hash = db.session.scalar(
        sa.select(QuestionnaireVersion.content_hash).where(QuestionnaireVersion.id == version_id)
    )
    return None if content_hash is None else cached_definition(version_id, content_hash)


# Built once: a statement object keeps its cache key, so running it again skips both building
# and compiling (the collection benchmark runs it on every page of every respondent).
_WAVE_ROW = (
    sa.select(Wave.code, Wave.status, Wave.questionnaire_version_id,
              QuestionnaireVersion.content_hash)
    .join(QuestionnaireVersion, QuestionnaireVersion.id == Wave.questionnaire_version_id)
    .where(Wave.id == sa.bindparam("wave_id"))
)


def wave_definition(wave_id: int) -> WaveDefinition | None:
    """The wave's status and its questionnaire's definition, in one light query (no JSON is
    read unless the version is new to this process); None when there is no such wave."""
    row = db.session.execute(_WAVE_ROW, {"wave_id": wave_id}).first()
    if row is None:
        return None
    return definition_of(wave_id, row.code, row.status, row.questionnaire_version_id,
                         row.content_hash)


def definition_of(wave_id: int, code: str, status: str, version_id: int,
                  content_hash: str) -> WaveDefinition:
    """A WaveDefinition from a wave's columns read along with something else."""
    return WaveDefinition(wave_id, code, WaveStatus(status), version_id,
                          cached_definition(version_id, content_hash))
