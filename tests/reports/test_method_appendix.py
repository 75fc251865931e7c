"""The method appendix says what `scoring` does: its wording follows the library's own
constants and defaults, so the prose cannot drift from the numbers."""

from __future__ import annotations

import inspect
from typing import Any

from scoring.indices import ALPHA_FLOOR, DESIGN_NOTES, SCALE, VILLAGES_AS_STRATA
from scoring.ranks import DRAWS, rank_intervals
from scoring.small_area import LABEL
from surveyapp.services.reports import method_text


def test_method_appendix_names_the_intervals_scoring_computes(app: Any) -> None:
    text = method_text()
    level = inspect.signature(rank_intervals).parameters["confidence_level"].default
    assert f"排名区间为 {level:.0%} 区间" in text["ci"] and f"模拟 {DRAWS} 次" in text["ci"]
    assert f"{LABEL}为村级 Fay–Herriot" in text["ci"] and "不用于评级" in text["ci"]
    assert "Clopper–Pearson" in text["ci"] and "Wilson" not in str(text)
    assert "Garwood" in text["ci"]
    assert "PSU（村）数 − 层（乡镇）数" in text["df"] and "Welch–Satterthwaite" in text["df"]
    assert "受访人数 − 村数" in text["df"] and "受访者数 − 村数" in DESIGN_NOTES[VILLAGES_AS_STRATA]
    assert "村为层" in text["design"] and "村为层" in DESIGN_NOTES[VILLAGES_AS_STRATA]
    assert f"截在 [{SCALE[0]:g},{SCALE[1]:g}] 内" in text["ci"]
    assert "每个村内" in text["raking"]
    assert f"α 低于 {ALPHA_FLOOR}" in text["reliability"]
    assert "次小的分组也一并不显示" in text["small_cells"]
