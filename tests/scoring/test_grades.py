"""Grades are given only when the whole interval lies inside one band (DOMAIN §9.3)."""

import math

import pytest

from scoring.grades import NO_SPREAD, PENDING, Band, band_of, bands_from_spec, capped, grade

STARS = bands_from_spec(
    {
        "grades": [
            {"label": "五星", "min": 90, "max": 100},
            {"label": "四星", "min": 75, "max": 90},
            {"label": "三星", "min": 60, "max": 75},
            {"label": "一星", "min": 0, "max": 60},
        ]
    }
)


def test_a_value_on_a_boundary_belongs_to_the_band_that_starts_there():
    assert band_of(75.0, STARS).label == "四星"
    assert band_of(74.99999999999999, STARS).label == "四星"  # float noise of a weighted sum
    assert band_of(74.9, STARS).label == "三星"


def test_the_top_band_includes_its_upper_bound():
    assert band_of(100.0, STARS).label == "五星"


def test_an_interval_starting_exactly_on_a_band_floor_is_graded_in_that_band():
    assert grade("stars", STARS, 75.0, 89.9).label == "四星"


def test_an_interval_ending_exactly_on_the_next_floor_straddles_both_bands():
    result = grade("stars", STARS, 70.0, 75.0)
    assert (result.label, result.straddles) == (PENDING, ("四星", "三星"))


def test_an_interval_across_three_bands_names_all_of_them_best_first():
    result = grade("stars", STARS, 50.0, 92.0)
    assert result.straddles == ("五星", "四星", "三星", "一星")
    assert not result.is_graded


def test_a_zero_width_interval_from_identical_answers_is_not_graded():
    result = grade("stars", STARS, 80.0, 80.0, zero_spread=True)
    assert (result.label, result.is_graded) == (NO_SPREAD, False)
    assert "无法估计" in result.reason


def test_no_interval_means_no_grade():
    assert not grade("stars", STARS, math.nan, math.nan).is_graded


def test_a_cap_brings_a_grade_down_and_resolves_a_straddle_above_it():
    assert capped(grade("stars", STARS, 91, 95), STARS, "三星").label == "三星"
    assert capped(grade("stars", STARS, 72, 95), STARS, "三星").label == "三星"
    assert capped(grade("stars", STARS, 61, 70), STARS, "三星").label == "三星"


@pytest.mark.parametrize(
    "grades",
    [
        [{"label": "a", "min": 0, "max": 60}, {"label": "b", "min": 50, "max": 100}],
        [{"label": "a", "min": 0, "max": 60}, {"label": "b", "min": 70, "max": 100}],
        [{"label": "a", "min": 60, "max": 60}],
    ],
)
def test_bands_that_overlap_leave_a_gap_or_are_empty_are_refused(grades):
    with pytest.raises(ValueError, match="band"):
        bands_from_spec({"grades": grades})


def test_band_lookup_outside_every_band_is_none():
    assert band_of(-1.0, (Band("x", 0, 10),)) is None
