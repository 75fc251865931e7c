"""Property: any valid questionnaire survives YAML -> parse/normalise -> answers -> stored JSON
-> scores without loss, and its scores obey the 0–100 and dimension-mean rules."""

from __future__ import annotations

import json

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring.item_scores import score_response
from surveyapp.questionnaire import show_if
from surveyapp.questionnaire.answers import answer_problems, shown_items
from surveyapp.questionnaire.check import DefinitionInvalid, parse_questionnaire
from surveyapp.questionnaire.definition import iter_items

LABEL = st.text(alphabet="甲乙丙丁戊己庚辛壬癸好差中", min_size=1, max_size=3)
SCORE = st.one_of(
    st.integers(0, 100), st.floats(0, 100, allow_nan=False).map(lambda x: round(x, 3))
)


def labels(n_min: int, n_max: int):
    return st.lists(LABEL, min_size=n_min, max_size=n_max, unique=True)


@st.composite
def scales(draw):
    names = draw(st.lists(st.sampled_from(["agree", "sat", "freq"]), min_size=1, unique=True))
    result = {}
    for name in names:
        words = draw(labels(3, 8))
        cut = len(words) - draw(st.integers(0, 1))  # the last word may be a don't-know label
        points, missing = words[:cut], words[cut:]
        result[name] = {"points": [{"label": w, "score": draw(SCORE)} for w in points]}
        if missing:
            result[name]["missing"] = missing
    return result


@st.composite
def choice_list(draw, scored: bool):
    return [
        {"label": w, "score": draw(SCORE)} if scored else {"label": w} for w in draw(labels(2, 5))
    ]


@st.composite
def item(draw, item_id: str, scale_names: list[str]):
    kind = draw(
        st.sampled_from(
            ["likert", "single", "multiple", "number", "short_text", "long_text", "ballot", "quiz"]
        )
    )
    result = {"id": item_id, "type": kind, "text": f"题目{item_id}"}
    if draw(st.booleans()):
        result["required"] = draw(st.booleans())
    if kind == "likert":
        result["scale"] = draw(st.sampled_from(scale_names))
        result["reverse"] = draw(st.booleans())
    elif kind == "single":
        if draw(st.booleans()):
            result["scale"] = draw(st.sampled_from(scale_names))
        else:
            result["choices"] = draw(choice_list(draw(st.booleans())))
    elif kind == "multiple":
        result["choices"] = draw(choice_list(False))
    elif kind == "number":
        low = draw(st.integers(-10, 50))
        result.update(min=low, max=low + draw(st.integers(1, 100)), integer=draw(st.booleans()))
    elif kind in ("short_text", "long_text"):
        result["max_length"] = draw(st.integers(1, 500))
    elif kind == "ballot":
        result["scale"] = draw(st.sampled_from(scale_names))
        if draw(st.booleans()):
            result["aspects"] = draw(
                st.lists(st.sampled_from("德能勤绩廉"), min_size=1, unique=True)
            )
    else:
        choices = [{"label": w} for w in draw(labels(2, 4))]
        choices[draw(st.integers(0, len(choices) - 1))]["correct"] = True
        result["choices"] = choices
    return result


def is_scored(raw: dict, scales_: dict) -> bool:
    if raw["type"] == "quiz":
        return True
    if raw["type"] in ("likert", "ballot"):
        return True
    if raw["type"] == "single":
        return "scale" in raw or all("score" in c for c in raw["choices"])
    return False


def choices_of(raw: dict, scales_: dict) -> tuple[list[str], list[str]]:
    if "choices" in raw:
        return [c["label"] for c in raw["choices"]], []
    scale = scales_[raw["scale"]]
    return [p["label"] for p in scale["points"]], scale.get("missing", [])


@st.composite
def questionnaires(draw):
    scales_ = draw(scales())
    names = sorted(scales_)
    raw_items = [draw(item(f"q{i}", names)) for i in range(draw(st.integers(1, 10)))]
    for position, raw in enumerate(raw_items):
        earlier = [r for r in raw_items[:position] if r["type"] in ("likert", "single")]
        if earlier and draw(st.booleans()):
            target = draw(st.sampled_from(earlier))
            options, missing = choices_of(target, scales_)
            picked = draw(st.lists(st.sampled_from(options + missing), min_size=1, unique=True))
            quoted = ", ".join(f'"{label}"' for label in picked)
            raw["show_if"] = f"{target['id']} in [{quoted}]"
    scored = [r for r in raw_items if is_scored(r, scales_)]
    dimensions = {}
    for raw in scored:
        if draw(st.booleans()):
            raw["dimension"] = draw(st.sampled_from(["维度甲", "维度乙", "维度丙"]))
            dimensions.setdefault(raw["dimension"], {})
    data = {
        "id": "generated",
        "version": "1",
        "title": "生成的问卷",
        "intro": "测试用。",
        "audience": "citizen",
        "scales": scales_,
        "sections": [{"id": "main", "title": "题目", "items": raw_items}],
    }
    if dimensions:
        share = draw(st.sampled_from([0, 0.5, 1]))
        data["scoring"] = {"min_answered_share": share, "dimensions": dimensions}
        if draw(st.booleans()):
            parts = [draw(st.integers(1, 9)) for _ in dimensions]
            for name, part in zip(dimensions, parts, strict=True):
                dimensions[name]["weight"] = part / sum(parts)
    return data


@st.composite
def answers_for(draw, definition: dict):
    answers: dict = {}
    for entry in iter_items(definition):
        if entry["show_if"] and not show_if.evaluate(show_if.parse(entry["show_if"]), answers):
            continue
        if draw(st.integers(0, 4)) == 0:
            continue
        answers[entry["id"]] = draw(answer(entry))
    return answers


def answer(entry: dict):
    kind = entry["type"]
    if kind in ("likert", "single", "quiz") or (kind == "ballot" and not entry["aspects"]):
        return st.sampled_from([c["label"] for c in entry["choices"]] + entry.get("missing", []))
    if kind == "ballot":
        grades = st.sampled_from([c["label"] for c in entry["choices"]] + entry["missing"])
        return st.dictionaries(st.sampled_from(entry["aspects"]), grades, min_size=1)
    if kind == "multiple":
        return st.lists(st.sampled_from([c["label"] for c in entry["choices"]]), unique=True)
    if kind == "number":
        if entry["integer"]:
            return st.integers(entry["min"], entry["max"])
        return st.floats(entry["min"], entry["max"], allow_nan=False)
    return st.text(max_size=entry["max_length"])


@st.composite
def responses(draw):
    data = draw(questionnaires())
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    definition = parse_questionnaire(text)
    return definition, draw(answers_for(definition))


COMMON = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@COMMON
@given(response=responses())
def test_a_response_scores_the_same_after_the_definition_and_answers_are_stored_as_json(response):
    definition, answers = response
    assert set(answer_problems(definition, answers)) <= {
        e["id"] for e in iter_items(definition) if e["required"]
    }
    stored_definition = json.loads(json.dumps(definition, ensure_ascii=False))
    stored_answers = json.loads(json.dumps(answers, ensure_ascii=False))
    assert stored_definition == definition
    assert stored_answers == answers
    shown = shown_items(definition, answers)
    assert score_response(stored_definition, stored_answers, shown) == score_response(
        definition, answers, shown
    )


@COMMON
@given(response=responses())
def test_scores_lie_in_0_100_and_a_dimension_lies_between_its_items(response):
    definition, answers = response
    scores = score_response(definition, answers, shown_items(definition, answers))
    for value in [*scores.items.values(), *scores.dimensions.values(), scores.respondent]:
        assert value is None or 0 <= value <= 100 + 1e-9
    for name, value in scores.dimensions.items():
        members = [scores.items[e["id"]] for e in iter_items(definition) if e["dimension"] == name]
        answered = [s for s in members if s is not None]
        if value is not None:
            assert min(answered) - 1e-9 <= value <= max(answered) + 1e-9


@COMMON
@given(response=responses())
def test_dont_know_answers_never_score(response):
    definition, answers = response
    scores = score_response(definition, answers)
    for entry in iter_items(definition):
        if answers.get(entry["id"]) in entry.get("missing", []) and entry["type"] != "multiple":
            assert scores.items[entry["id"]] is None


@COMMON
@given(data=questionnaires())
def test_normalising_keeps_every_item_in_order_with_its_wording(data):
    definition = parse_questionnaire(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    raw = data["sections"][0]["items"]
    assert [(e["id"], e["type"], e["text"]) for e in iter_items(definition)] == [
        (r["id"], r["type"], r["text"]) for r in raw
    ]
    for entry, source in zip(iter_items(definition), raw, strict=True):
        if "choices" in source:
            assert [c["label"] for c in entry["choices"]] == [c["label"] for c in source["choices"]]
            assert [c.get("score") for c in entry["choices"]] == [
                c.get("score") for c in source["choices"]
            ]


def paths_of(value, path=()):
    yield path
    if isinstance(value, dict):
        for key, child in value.items():
            yield from paths_of(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from paths_of(child, (*path, index))


JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 200),
    LABEL,
    st.just([]),
    st.just({}),
    st.just("q0 =="),
    st.just("q9 == 1"),
    st.just({"label": "甲"}),
)


@COMMON
@given(data=questionnaires(), choice=st.data())
def test_a_broken_edit_anywhere_gives_problems_with_lines_never_an_exception(data, choice):
    path = choice.draw(st.sampled_from(list(paths_of(data))[1:]))
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    if choice.draw(st.booleans()):
        del parent[path[-1]]
    else:
        parent[path[-1]] = choice.draw(JUNK)
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    try:
        parse_questionnaire(text)
    except DefinitionInvalid as error:
        lines = text.count("\n") + 1
        assert all(1 <= problem.line <= lines for problem in error.problems)
