"""scoring.reports on synthetic plain data: no app, no database (the library stands alone)."""

from __future__ import annotations

import copy
import shutil
import subprocess
from pathlib import Path

import pytest

from scoring.reports import (
    KINDS,
    AssetFetcher,
    input_hash,
    render_html,
    render_pdf,
    suppress_small_cells,
)
from scoring.reports.charts import change_plot, forest_plot, profile_plot
from scoring.reports.render import STATIC
from tests.reports.conftest import BASE

POPPLER = shutil.which("pdftotext") and shutil.which("pdffonts") and shutil.which("pdftoppm")


@pytest.fixture(scope="module")
def village_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not POPPLER:
        from tests.services import require

        require("poppler-utils", "pdftotext, pdffonts and pdftoppm read the PDFs")
    path = tmp_path_factory.mktemp("pdf") / "village.pdf"
    path.write_bytes(render_pdf(BASE))
    return path


def pdf_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_village_pdf_text_has_the_chinese_title_numbers_and_intervals(village_pdf):
    text = pdf_text(village_pdf)
    assert "玉泉社区清廉建设测评报告" in text
    assert "81.7" in text and "77.5 – 85.9" in text
    assert "三升两降" in text and "方法附录" in text


def test_every_page_carries_page_numbers_and_the_input_hash(village_pdf):
    pages = pdf_text(village_pdf).split("\f")[:-1]
    digest = input_hash(BASE)[:16]
    assert len(pages) >= 3
    for number, page in enumerate(pages, start=1):
        assert f"第{number}页/共{len(pages)}页" in page.replace(" ", "")
        assert digest in page


def test_pdf_embeds_a_noto_cjk_font(village_pdf):
    fonts = subprocess.run(
        ["pdffonts", str(village_pdf)], capture_output=True, text=True, check=True
    ).stdout
    cjk = [line for line in fonts.splitlines() if "Noto-Sans-CJK" in line]
    assert cjk and all(line.split()[-5] == "yes" for line in cjk)  # the "emb" column


def test_first_page_renders_to_png_as_a_test_artifact(village_pdf, artifacts_dir):
    target = artifacts_dir / "report-synthetic-village-p1"
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "80",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(village_pdf),
            str(target),
        ],
        check=True,
    )
    assert target.with_suffix(".png").stat().st_size > 10_000


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_kind_renders_to_html_with_its_label(report_data, kind):
    report_data["kind"] = kind
    html = render_html(report_data)
    assert KINDS[kind] in html and "方法附录" in html


def test_breakdown_groups_under_k_respondents_are_suppressed(report_data):
    html = render_html(report_data, min_cell=5)
    assert "60 岁及以上" in html and "少于 5 人，不予显示" in html
    assert ">3<" not in html.split("60 岁及以上")[1].split("</tr>")[0]
    assert "少于 20 人" in render_html(report_data, min_cell=20)


AGES = [("18–39 岁", 12), ("40–59 岁", 9), ("60 岁及以上", 3), ("未回答", 7)]


def _suppressed(counts, min_cell=5):
    rows = [{"group": g, "n": n, "share": n / 31} for g, n in counts]
    return {r["group"]: r["suppressed"] for r in suppress_small_cells(rows, min_cell)}


def test_a_single_small_group_hides_the_next_smallest_so_it_cannot_be_worked_out():
    notes = _suppressed(AGES)
    assert notes["60 岁及以上"] == "少于 5 人，不予显示"
    assert notes["未回答"] == "为防推算，一并不予显示"
    assert notes["18–39 岁"] is None and notes["40–59 岁"] is None
    hidden = suppress_small_cells([{"group": g, "n": n, "share": 0.2} for g, n in AGES], 5)
    assert all(r["n"] is None and r["share"] is None for r in hidden if r["suppressed"])


def test_two_small_groups_or_none_hide_nothing_more():
    two = _suppressed([*AGES, ("80 岁及以上", 2)])
    assert [g for g, note in two.items() if note] == ["60 岁及以上", "80 岁及以上"]
    assert not any(_suppressed(AGES, min_cell=3).values())
    assert _suppressed([("60 岁及以上", 3)]) == {"60 岁及以上": "少于 5 人，不予显示"}


def test_data_is_escaped_so_it_cannot_inject_markup_or_fetch_anything(report_data):
    report_data["org"]["name"] = '<img src="https://example.org/x.png">'
    html = render_html(report_data)
    assert '<img src="https' not in html and "&lt;img" in html


def test_the_fetcher_serves_report_assets_only(tmp_path):
    fetcher = AssetFetcher()
    assert b"@page" in fetcher((STATIC / "report.css").as_uri()).read()
    outside = tmp_path / "secret.txt"
    outside.write_text("x")
    for url in (
        "https://example.org/a.css",
        "http://127.0.0.1/",
        outside.as_uri(),
        (STATIC / ".." / "render.py").as_uri(),
        "data:text/plain,hi",
    ):
        with pytest.raises(ValueError, match="report assets only"):
            fetcher(url)


def test_the_input_hash_changes_with_any_number(report_data):
    changed = copy.deepcopy(report_data)
    changed["indices"][0]["estimate"] = 81.8
    assert input_hash(changed) != input_hash(report_data)
    assert input_hash(changed)[:16] in render_html(changed)


def test_missing_keys_and_unknown_kinds_are_named(report_data):
    with pytest.raises(ValueError, match="'wave'"):
        render_html({k: v for k, v in report_data.items() if k != "wave"})
    with pytest.raises(ValueError, match="'poster' is unknown"):
        render_html({**report_data, "kind": "poster"})


def test_forest_plot_draws_unpublished_units_apart_below_the_ranked_ones():
    svg = forest_plot(BASE["forests"][0]["rows"], xlabel="认可度")
    order = [svg.index(s) for s in ("玉泉社区", "石桥村", "样本不足", "小河村")]
    assert order == sorted(order)


def test_charts_keep_text_as_text_in_the_cjk_font_and_are_deterministic():
    rows = BASE["profiles"][0]["rows"]
    svg = profile_plot(rows, xlabel="得分")
    assert "<text" in svg and "Noto Sans CJK SC" in svg and "政治清明" in svg
    assert svg == profile_plot(rows, xlabel="得分")
    assert "认可度" in change_plot(
        [{"label": "认可度", "estimate": 1.0, "ci_low": -1.0, "ci_high": 3.0, "verdict": "持平"}]
    )
