"""Fixtures for the scoring library's tests: R's reference data, and nothing from the app."""

from pathlib import Path

import pytest

from scoring import Design, read_csv
from tests.services import require

REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference"


def require_reference(why: str = f"the R reference suite is not at {REFERENCE}"):
    require("R's reference cases", why)


@pytest.fixture(scope="session")
def reference_data() -> Path:
    """The folder of R's reference data sets (a sibling of the repository)."""
    data = REFERENCE / "data"
    if not (data / "county1.csv").exists():
        require_reference()
    return data


@pytest.fixture(scope="session")
def county(reference_data):
    return read_csv(reference_data / "county1.csv")


@pytest.fixture(scope="session")
def design(county):
    """The reference county: townships are strata, villages PSUs, fpc villages per township."""
    return Design(county, weights="weight", strata="township", clusters="village", fpc="fpc")
