"""A respondent's own quiz result (e.g. the 十条军规 test), shown once on the thank-you page.

Quiz items and the dimension each counts towards come from the definition; the score is the
dimension's score under the questionnaire's own scoring rules (``scoring.item_scores``), so the
respondent sees exactly what the indices will count. The result is computed at submission
time and handed back to the page: it is never stored, and nothing links it to the response.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scoring.item_scores import score_response
from surveyapp.questionnaire.answers import rules_of, shown_items


@dataclass(frozen=True, slots=True)
class QuizScore:
    """One quiz (a dimension of quiz items): correct answers of the items shown, and the
    dimension's 0–100 score, None when too few were answered to score it."""

    dimension: str
    correct: int
    total: int
    score: float | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "dimension": self.dimension,
            "correct": self.correct,
            "total": self.total,
            "score": self.score,
        }


def quiz_scores(definition: dict, answers: dict[str, Any]) -> tuple[QuizScore, ...]:
    """The quiz result per dimension holding quiz items, in the order the items come; empty
    when the questionnaire has no quiz. ``answers`` are clean (only shown items)."""
    rules = rules_of(definition)
    if not rules.quiz_ids:
        return ()
    shown = set(shown_items(definition, answers))
    quizzes: dict[str, list[dict]] = {}
    for item_id, item in rules.items.items():
        if item_id in rules.quiz_ids and item_id in shown:
            quizzes.setdefault(item["dimension"], []).append(item)
    if not quizzes:
        return ()
    scores = score_response(definition, answers, shown)
    return tuple(
        QuizScore(
            dimension=dimension,
            correct=sum(scores.items[item["id"]] == 100.0 for item in items),
            total=len(items),
            score=scores.dimensions.get(dimension),  # None if not a scoring dimension
        )
        for dimension, items in quizzes.items()
    )
