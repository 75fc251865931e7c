"""The English interface is complete: every message of the catalogue is translated."""

from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "surveyapp" / "translations" / "en" / "LC_MESSAGES" / "messages.po"


def test_every_message_has_an_english_translation() -> None:
    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle)
    missing = [
        message.id for message in catalogue
        if message.id and (message.fuzzy or not message.string
                           or (isinstance(message.string, tuple) and not all(message.string)))
    ]
    assert not missing, f"untranslated or fuzzy in {CATALOGUE.name}: {missing[:10]}"
