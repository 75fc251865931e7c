"""Store checked questionnaire files as immutable, content-hashed versions.

A version row is never edited: an unchanged file is a no-op, a changed file becomes a new
row, and waves keep pointing at the row they opened with, so answers always meet the exact
wording they were given.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.models.questionnaire import QuestionnaireVersion

from .check import CheckResult, check_paths


class LoadStatus(StrEnum):
    NEW = "new"  # first version of this questionnaire id
    CHANGED = "changed"  # a new version of a questionnaire already stored
    UNCHANGED = "unchanged"  # these exact bytes are already stored


class QuestionnairesNotValid(ValueError):
    """The files did not pass the check; nothing was stored. ``result`` says why."""

    def __init__(self, result: CheckResult) -> None:
        super().__init__(f"{len(result.problems) + len(result.unreadable)} problems")
        self.result = result


@dataclass(frozen=True, slots=True)
class LoadResult:
    file: str
    questionnaire_id: str
    version: str
    status: LoadStatus
    version_id: int
    version_reused: bool = False  # the file changed but its version string did not


def load_questionnaires(paths: Sequence[str | Path] = ()) -> list[LoadResult]:
    """Check the files (default: all of ``questionnaires/``) and store what is new.

    Indices files are stored like instruments (``definition["kind"] == "indices"``, empty
    ``audience``), so an index can always be recomputed with the rules it was published with.
    Commits once; stores nothing when any file fails the check.

    Raises
    ------
    QuestionnairesNotValid
        Any file is unreadable or has problems.
    """
    result = check_paths(paths)
    if not result.ok:
        raise QuestionnairesNotValid(result)
    loaded = [_store(doc.file, doc.raw, result.definitions[doc.file]) for doc in result.documents]
    db.session.commit()
    return loaded


def _store(file: str, raw: bytes, definition: dict) -> LoadResult:
    content_hash = hashlib.sha256(raw).hexdigest()
    questionnaire_id, version = definition["id"], definition["version"]
    existing = db.session.scalars(
        sa.select(QuestionnaireVersion).where(
            QuestionnaireVersion.questionnaire_id == questionnaire_id
        )
    ).all()
    for row in existing:
        if row.content_hash == content_hash:
            return LoadResult(file, questionnaire_id, row.version, LoadStatus.UNCHANGED, row.id)
    row = QuestionnaireVersion(
        questionnaire_id=questionnaire_id,
        version=version,
        content_hash=content_hash,
        title=definition["title"],
        audience=",".join(definition.get("audience", [])),
        definition=definition,
    )
    db.session.add(row)
    db.session.flush()
    return LoadResult(
        file,
        questionnaire_id,
        version,
        LoadStatus.CHANGED if existing else LoadStatus.NEW,
        row.id,
        version_reused=any(old.version == version for old in existing),
    )
