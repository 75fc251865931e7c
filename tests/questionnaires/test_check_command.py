"""`flask questionnaires check`: one line `file:line: message` per problem, exit 1; unreadable
input exit 2; clean files exit 0. One broken file per kind of error, in `broken/`."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from surveyapp.cli.questionnaires import questionnaires_cli

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
BROKEN = "tests/questionnaires/broken"
MINI = "tests/questionnaires/valid/mini.yaml"
ITEM_TYPES = ["likert", "single", "multiple", "number", "short_text", "long_text", "ballot", "quiz"]


@pytest.fixture(autouse=True)
def _at_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    # Messages name files as given, relative to where the command runs.
    monkeypatch.chdir(REPO)


def check(*paths: str) -> tuple[int, list[str]]:
    result = CliRunner().invoke(questionnaires_cli, ["check", *paths])
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result.exit_code, result.stderr.splitlines()


@pytest.mark.parametrize(
    ("name", "line", "message"),
    [
        ("unknown_key", 21, "未知的键 'colour'"),
        ("unknown_top_level_key", 18, "未知的键 'author'"),
        ("unknown_item_type", 18, "'type' 的值 'slider' 不允许，可选：" + "、".join(ITEM_TYPES)),
        ("item_without_text", 18, "'q2' 缺少必填的键 'text'"),
        ("wrong_value_type", 21, "'required' 应为 true 或 false，却是 '是'"),
        ("duplicate_yaml_key", 21, "重复的键 'text'"),
        ("duplicate_item_id", 19, "题目编号 'q1' 重复（第 17 行已使用）"),
        ("show_if_later_item", 22, "show_if 引用了后面的题目 'q3'"),
        ("show_if_unknown_item", 22, "show_if 引用了不存在的题目 'q9'"),
        ("show_if_likert_compared_with_number", 22, "show_if 中 likert 题 'q1' 不能与数字 3 比较"),
        ("show_if_label_not_a_choice", 22, "show_if 中 '很满意' 不是题目 'q1' 的选项"),
        ("show_if_number_out_of_range", 22, "show_if 中 150 超出题目 'age' 的范围 18–120"),
        ("show_if_syntax_error", 22, "show_if 语法错误：第 15 个字符处应为题目编号，却是结尾"),
        ("likert_without_scale", 18, "likert 题 'q2' 没有量表（scale），无法计分"),
        ("likert_without_scores", 18, "likert 题 'q1' 的量表 'agree3' 中 '同意' 没有分值（score）"),
        ("quiz_two_correct_choices", 20, "测验题 'rule1' 必须恰好有一个正确选项（现有 2 个）"),
        ("quiz_no_correct_choice", 20, "测验题 'rule1' 必须恰好有一个正确选项（现有 0 个）"),
        (
            "dimension_not_declared",
            18,
            "题目 'q2' 的维度 '政府请廉' 未在 scoring.dimensions 中定义",
        ),
        ("dimension_weights_not_one", 20, "维度权重之和为 0.9，应为 1"),
        ("missing_label_is_also_a_choice", 21, "题目 'sex' 中 '不愿回答' 既是选项又是缺失项"),
    ],
)
def test_broken_questionnaire_is_reported_at_the_offending_line(name, line, message):
    path = f"{BROKEN}/{name}.yaml"
    assert check(path) == (1, [f"{path}:{line}: {message}"])


@pytest.mark.parametrize(
    ("name", "lines"),
    [
        ("indices_unknown_instrument", [(17, "问卷 'village_review' 不存在")]),
        ("indices_unknown_item", [(16, "问卷 'mini' 没有题目 'overal'")]),
        ("indices_unknown_dimension", [(16, "问卷 'mini' 没有维度 '政治清明'")]),
        ("indices_unknown_audience", [(16, "问卷 'mini' 的答卷人不包括 'household'")]),
        ("indices_weights_not_one", [(15, "指数 'fortress' 的成分权重之和为 0.8，应为 1")]),
        (
            "indices_component_with_two_sources",
            [(16, "成分 'residents' 必须且只能指定 instrument、index、points 之一")],
        ),
        (
            "indices_index_cycle",
            [
                (9, "指数 'pioneer' 直接或间接引用了自身"),
                (14, "指数 'fortress' 直接或间接引用了自身"),
            ],
        ),
        ("indices_bands_overlap", [(8, "等级 '三星' 与 '二星' 在 80–85 分重叠")]),
        ("indices_bands_gap", [(8, "等级 '二星' 与 '三星' 之间 79–80 分没有等级")]),
        ("indices_bands_not_reaching_100", [(7, "等级表 'stars' 没有覆盖 95–100 分")]),
        ("indices_cap_unknown_grade", [(18, "等级表 'stars' 没有等级 '两星'")]),
        ("indices_ballot_item_not_a_ballot", [(18, "问卷 'mini' 没有测评票题目 'dealt'")]),
        ("indices_rise_unknown_instrument", [(19, "问卷 'secretary_selfcheck' 不存在")]),
        ("indices_rise_listed_twice", [(20, "问卷 'mini' 重复（第 19 行已列出）")]),
    ],
)
def test_broken_indices_file_is_reported_against_the_instruments_checked_with_it(name, lines):
    path = f"{BROKEN}/{name}.yaml"
    assert check(path, MINI) == (1, [f"{path}:{line}: {message}" for line, message in lines])


def test_a_rise_needs_an_instrument_with_scored_items(tmp_path):
    mini = (HERE / "valid" / "mini.yaml").read_text(encoding="utf-8")
    unscored = mini.replace("id: mini", "id: notes").split("sections:")[0] + (
        "sections:\n"
        "  - id: main\n"
        "    title: 意见\n"
        "    items:\n"
        "      - {id: note, type: long_text, max_length: 50, text: 意见}\n"
    )
    (tmp_path / "notes.yaml").write_text(unscored, encoding="utf-8")
    indices = (HERE / "broken" / "indices_rise_unknown_instrument.yaml").read_text("utf-8")
    path = tmp_path / "indices.yaml"
    path.write_text(indices.replace("secretary_selfcheck", "notes"), encoding="utf-8")
    status, lines = check(str(path), MINI, str(tmp_path / "notes.yaml"))
    assert (status, lines) == (1, [f"{path}:19: 问卷 'notes' 没有计分的题目，无法比较平均分"])


def test_an_indices_file_checked_alone_resolves_instruments_in_its_own_directory():
    assert check("questionnaires/indices.yaml")[0] == 0


def test_unparsable_yaml_is_one_line_with_its_line_and_exit_status_2():
    path = f"{BROKEN}/unparsable.yaml"
    status, lines = check(path)
    assert status == 2
    assert len(lines) == 1
    assert lines[0].startswith(f"{path}:7: YAML 语法错误：")


def test_a_missing_file_is_one_line_naming_it_and_exit_status_2():
    assert check("questionnaires/nonexistent.yaml") == (
        2,
        ["questionnaires/nonexistent.yaml: 文件不存在"],
    )


def test_an_empty_file_is_reported_at_line_1(tmp_path):
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing yet\n", encoding="utf-8")
    status, lines = check(str(empty))
    assert (status, lines) == (2, [f"{empty}:1: 文件是空的"])


def test_a_directory_stands_for_its_yaml_files(tmp_path):
    (tmp_path / "mini.yaml").write_bytes((HERE / "valid" / "mini.yaml").read_bytes())
    result = CliRunner().invoke(questionnaires_cli, ["check", str(tmp_path)])
    assert (result.exit_code, result.stdout) == (0, "1 个文件检查通过\n")


def test_shipped_files_pass_by_default():
    result = CliRunner().invoke(questionnaires_cli, ["check"])
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.endswith("个文件检查通过\n")


def test_the_same_questionnaire_id_in_two_files_is_reported(tmp_path):
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_bytes((HERE / "valid" / "mini.yaml").read_bytes())
    status, lines = check(str(tmp_path))
    assert (status, lines) == (1, [f"{tmp_path / 'b.yaml'}:2: 问卷编号 'mini' 与其他文件重复"])


def test_every_problem_in_a_file_is_reported_not_just_the_first(tmp_path):
    text = (HERE / "broken" / "duplicate_item_id.yaml").read_text(encoding="utf-8")
    text += '      - {id: q4, type: likert, scale: sat3, text: 放心吗, show_if: q5 == "满意"}\n'
    path = tmp_path / "two.yaml"
    path.write_text(text, encoding="utf-8")
    status, lines = check(str(path))
    assert status == 1
    assert [line.split(": ", 1)[1] for line in lines] == [
        "题目编号 'q1' 重复（第 17 行已使用）",
        "show_if 引用了不存在的题目 'q5'",
    ]
