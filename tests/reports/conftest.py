"""Synthetic plain report data: what the app's services hand to ``scoring.reports``."""

from __future__ import annotations

import copy
from typing import Any

import pytest


def _index(title: str, unit: str, estimate: float | None, status: str = "已发布") -> dict:
    return {
        "title": title,
        "unit_name": unit,
        "status": status,
        "estimate": estimate,
        "se": 2.1,
        "ci_low": None if estimate is None else estimate - 4.2,
        "ci_high": None if estimate is None else estimate + 4.2,
        "df": 29,
        "n": 30,
        "raters": 30,
        "grades": "星级：待定（四星/三星）",
        "rank": "2（1–3）/ 7",
        "shrinkage": None,
        "notes": ["四清各维度按受访者先加权合成再估计"],
        "components": [
            {
                "title": "政治清明",
                "status": status,
                "weight": 0.25,
                "estimate": 82.4,
                "ci_low": 78.1,
                "ci_high": 86.7,
                "n": 30,
                "raters": 30,
                "note": "",
            },
        ],
    }


BASE: dict[str, Any] = {
    "kind": "village",
    "title": "玉泉社区清廉建设测评报告",
    "org": {"code": "QY01V01", "name": "玉泉社区", "kind": "社区", "path": "清源县 · 城关街道"},
    "wave": {
        "code": "citizen_approval-2026-11",
        "name": "2026 年群众认可度调查",
        "starts_on": "2026-11-01",
        "ends_on": "2026-12-31",
        "status": "已结束",
    },
    "previous_wave": {"code": "citizen_approval-2025-11", "name": "2025 年群众认可度调查"},
    "date": "2027-01-05",
    "confidence_level": 0.95,
    "indices": [_index("群众对党风政风认可度指数", "玉泉社区", 81.7)],
    "forests": [
        {
            "title": "各村认可度",
            "xlabel": "认可度指数（0–100）",
            "thresholds": [70, 90],
            "rows": [
                {
                    "label": "玉泉社区",
                    "estimate": 81.7,
                    "ci_low": 77.1,
                    "ci_high": 86.4,
                    "status": "已发布",
                },
                {
                    "label": "石桥村",
                    "estimate": 69.6,
                    "ci_low": 64.9,
                    "ci_high": 74.3,
                    "status": "已发布",
                },
                {
                    "label": "小河村",
                    "estimate": 95.8,
                    "ci_low": 92.0,
                    "ci_high": 99.7,
                    "status": "样本不足",
                },
            ],
        }
    ],
    "profiles": [
        {
            "title": "四清维度",
            "xlabel": "得分（0–100）",
            "rows": [
                {"label": "政治清明", "estimate": 82.7, "ci_low": 78.1, "ci_high": 87.3},
                {"label": "政府清廉", "estimate": 81.5, "ci_low": 76.4, "ci_high": 86.5},
            ],
        }
    ],
    "comparison": [
        {
            "title": "群众对党风政风认可度指数",
            "previous": {"estimate": 78.0, "ci_low": 73.0, "ci_high": 83.0},
            "current": {"estimate": 81.7, "ci_low": 77.1, "ci_high": 86.4},
            "change": {"estimate": 3.7, "ci_low": -3.0, "ci_high": 10.4},
            "verdict": "持平",
        }
    ],
    "changes": [
        {
            "title": "群众认可度",
            "target": "升",
            "previous": 75.0,
            "current": 81.9,
            "measure": "变化（分）",
            "estimate": 6.9,
            "ci_low": -3.2,
            "ci_high": 17.1,
            "verdict": "持平",
        },
        {
            "title": "信访件数",
            "target": "降",
            "previous": 5.0,
            "current": 3.7,
            "measure": "发生率之比",
            "estimate": 0.74,
            "ci_low": 0.39,
            "ci_high": 1.37,
            "verdict": "持平",
        },
    ],
    "breakdowns": [
        {
            "title": "受访者年龄构成",
            "rows": [
                {"group": "18–39 岁", "n": 12, "share": 0.4},
                {"group": "40–59 岁", "n": 15, "share": 0.5},
                {"group": "60 岁及以上", "n": 3, "share": 0.1},
            ],
        }
    ],
    "quality": {
        "rows": [{"name": "玉泉社区", "responses": 30, "target": 40, "flagged": 2}],
        "notes": ["答题过快 1 份，集中提交 1 份；均已计入。"],
    },
    "ballots": [],
    "reliability": [
        {
            "instrument": "citizen_approval",
            "dimension": "政治清明",
            "alpha": 0.86,
            "ci_low": 0.81,
            "ci_high": 0.89,
            "omega": None,
            "n": 192,
            "flagged": False,
        }
    ],
    "method": {
        "design": "以村为初级抽样单元。",
        "weights": "村成年人数 / 受访人数。",
        "raking": "按性别、年龄校准。",
        "ci": "t 区间。",
        "df": "PSU 数 − 层数。",
        "small_cells": "少于 5 人不显示。",
        "reliability": "Cronbach α。",
        "indices": [
            {
                "title": "认可度",
                "components": [{"title": "政治清明", "weight": 0.25, "source": "群众问卷"}],
            }
        ],
    },
}


@pytest.fixture
def report_data() -> dict[str, Any]:
    """A complete village report's data; tests change copies of it."""
    return copy.deepcopy(BASE)
