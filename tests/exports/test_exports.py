"""Response exports: labels from the questionnaire, design columns, small cells, free text."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pandas as pd
import pyreadstat
import pytest
import sqlalchemy as sa
from flask import Flask

from surveyapp.models import AuditEntry, Org, Response, Wave
from surveyapp.questionnaire.definition import items_by_id
from surveyapp.services import exports


def citizen_wave(db: Any) -> Wave:
    waves = db.session.scalars(sa.select(Wave).order_by(Wave.code)).all()
    return next(w for w in waves if w.questionnaire_version.questionnaire_id == "citizen_approval")


def test_the_sav_file_carries_the_questionnaires_chinese_labels(app: Flask, db: Any,
                                                               tmp_path: Path) -> None:
    wave = citizen_wave(db)
    with app.test_request_context():
        data = exports.export_responses(wave, "sav", by=None)
    path = tmp_path / "r.sav"
    path.write_bytes(data)
    frame, meta = pyreadstat.read_sav(str(path), user_missing=True)
    item = items_by_id(wave.questionnaire_version.definition)["policy_delivery"]
    assert meta.column_names_to_labels["policy_delivery"] == item["text"]
    labels = meta.variable_value_labels["policy_delivery"]
    assert [labels[k] for k in sorted(labels)] == [c["label"] for c in item["choices"]] + ["不了解"]
    assert {"strata", "cluster", "weight"} <= set(frame.columns)
    assert len(frame) == db.session.scalar(
        sa.select(sa.func.count()).where(Response.wave_id == wave.id))


def test_free_text_is_left_out_unless_asked_for(app: Flask, db: Any) -> None:
    wave = citizen_wave(db)
    with app.test_request_context():
        plain = exports.response_table(wave)
        with_text = exports.response_table(wave, include_text=True)
    assert "comment" not in [v.name for v in plain.variables]
    assert "comment" in [v.name for v in with_text.variables]


def test_a_village_below_the_minimum_cell_size_has_its_demographics_blanked(app: Flask,
                                                                           db: Any) -> None:
    wave = citizen_wave(db)
    with app.test_request_context():
        everyone = exports.response_table(wave, min_cell_size=1)
        sizes = pd.Series(everyone.column("cluster")).value_counts()
        k = int(sizes.min()) + 1  # the smallest village falls below k
        table = exports.response_table(wave, min_cell_size=k)
    small = set(sizes[sizes < k].index)
    assert small and set(table.small_clusters) == small
    for row in table.rows:
        blanked = row["cluster"] in small
        assert row["small_cell"] == int(blanked)
        if blanked:
            assert row["age_group"] is None and row["sex"] is None
    # Non-demographic answers and the design columns are kept, so estimates do not move.
    assert sorted(map(str, table.column("policy_delivery"))) == sorted(
        map(str, everyone.column("policy_delivery")))


def test_weights_are_village_adults_over_respondents_unless_stored(app: Flask, db: Any) -> None:
    wave = citizen_wave(db)
    with app.test_request_context():
        table = exports.response_table(wave)
    adults = dict(db.session.execute(sa.select(Org.code, Org.adults)).all())
    stored = set(db.session.scalars(sa.select(Response.weight).where(
        Response.wave_id == wave.id, Response.weight.is_not(None))))
    n = pd.Series(table.column("cluster")).value_counts()
    for row in table.rows:
        expected = adults[row["cluster"]] / n[row["cluster"]]
        assert row["weight"] == pytest.approx(expected) or row["weight"] in stored


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_is_audit_logged_and_readable(app: Flask, db: Any, fmt: str) -> None:
    wave = citizen_wave(db)
    with app.test_request_context():
        data = exports.export_responses(wave, fmt, by=None)
        book = exports.codebook(wave)
    frame = pd.read_csv(io.BytesIO(data)) if fmt == "csv" else pd.read_excel(io.BytesIO(data))
    assert list(frame.columns[:4]) == ["resp_id", "strata", "cluster", "weight"]
    assert "svydesign" in book and "小单元" in book
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "export.responses")
                              .order_by(AuditEntry.id.desc()))
    assert entry.target == wave.code and entry.detail["format"] == fmt
