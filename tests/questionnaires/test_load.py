"""`flask questionnaires load`: content-hashed, immutable versions."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from surveyapp.models.questionnaire import QuestionnaireVersion
from surveyapp.questionnaire.load import LoadStatus, QuestionnairesNotValid, load_questionnaires

HERE = Path(__file__).resolve().parent


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    path = tmp_path / "mini.yaml"
    text = (HERE / "valid" / "mini.yaml").read_text(encoding="utf-8")
    path.write_text(text.replace("id: mini\n", "id: load_spec\n", 1), encoding="utf-8")
    return path


def versions(db) -> list[QuestionnaireVersion]:
    query = sa.select(QuestionnaireVersion).where(
        QuestionnaireVersion.questionnaire_id == "load_spec"
    )
    return list(db.session.scalars(query.order_by(QuestionnaireVersion.id)))


def test_a_new_file_is_stored_with_its_hash_and_normalised_definition(db, mini):
    [result] = load_questionnaires([mini])
    [row] = versions(db)
    assert result.status is LoadStatus.NEW and result.version_id == row.id
    assert row.content_hash == hashlib.sha256(mini.read_bytes()).hexdigest()
    assert (row.version, row.title, row.audience) == ("1", "小问卷", "citizen,member")
    assert row.definition["kind"] == "questionnaire"
    assert [i["id"] for s in row.definition["sections"] for i in s["items"]][:2] == [
        "dealt",
        "handled",
    ]


def test_loading_an_unchanged_file_again_is_a_no_op(db, mini):
    load_questionnaires([mini])
    [result] = load_questionnaires([mini])
    assert result.status is LoadStatus.UNCHANGED
    assert len(versions(db)) == 1


def test_a_changed_file_becomes_a_new_version_and_the_old_one_stays_as_it_was(db, mini):
    [first] = load_questionnaires([mini])
    old_definition = versions(db)[0].definition
    text = mini.read_text(encoding="utf-8")
    mini.write_text(
        text.replace('version: "1"', 'version: "2"').replace("总体满意吗", "总的来说满意吗"),
        encoding="utf-8",
    )
    [second] = load_questionnaires([mini])
    old, new = versions(db)
    assert second.status is LoadStatus.CHANGED and second.version_id != first.version_id
    assert (old.version, new.version) == ("1", "2")
    assert old.definition == old_definition


def test_a_changed_file_that_kept_its_version_string_is_stored_and_flagged(db, mini):
    load_questionnaires([mini])
    mini.write_text(
        mini.read_text(encoding="utf-8").replace("总体满意吗", "总的来说满意吗"), encoding="utf-8"
    )
    [result] = load_questionnaires([mini])
    assert result.status is LoadStatus.CHANGED and result.version_reused
    assert len(versions(db)) == 2


def test_nothing_is_stored_when_any_file_fails_the_check(db, mini, tmp_path):
    broken = tmp_path / "broken.yaml"
    shutil.copy(HERE / "broken" / "duplicate_item_id.yaml", broken)
    with pytest.raises(QuestionnairesNotValid) as raised:
        load_questionnaires([mini, broken])
    assert [p.line for p in raised.value.result.problems] == [19]
    assert versions(db) == []


def test_the_load_command_says_what_happened_to_each_file(runner, db, mini):
    first = runner.invoke(args=["questionnaires", "load", str(mini)])
    again = runner.invoke(args=["questionnaires", "load", str(mini)])
    assert (first.exit_code, again.exit_code) == (0, 0)
    assert first.stdout.endswith("load_spec 1 新问卷，已载入\n")
    assert again.stdout.endswith("load_spec 1 没有变化\n")


def test_the_load_command_prints_check_problems_and_stores_nothing(runner, db, tmp_path):
    broken = tmp_path / "broken.yaml"
    shutil.copy(HERE / "broken" / "duplicate_item_id.yaml", broken)
    result = runner.invoke(args=["questionnaires", "load", str(broken)])
    assert result.exit_code == 1
    assert result.stderr == f"{broken}:19: 题目编号 'q1' 重复（第 17 行已使用）\n"
