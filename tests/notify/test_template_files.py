"""Templates from TOML files: per template and language, checked at load, picked by locale."""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest

import relationship_core as rc
from relationship_core._notify import EventType
from relationship_core._notify.template_files import load_templates
from relationship_core.exceptions import NotFoundError, ValidationError


@attrs.frozen
class Customer:
    name: str


ISSUED = EventType("invoice.issued", {"customer": Customer, "number": str})

GOOD = """
default_locale = "en"

[templates.invoice-issued]
event = "invoice.issued"
category = "transactional"

[templates.invoice-issued.en]
subject = "Invoice {{ number }}"
text = "Dear {{ customer.name }}, invoice {{ number }} is ready."
html = "<p>Dear {{ customer.name }}</p>"

[templates.invoice-issued.de]
subject = "Rechnung {{ number }}"
text = "Hallo {{ customer.name }}, Rechnung {{ number }} ist bereit."
"""


def _write(tmp_path: Path, text: str, name: str = "mail.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_toml_file_loads_and_picks_along_the_fallback_chain(tmp_path: Path) -> None:
    templates = load_templates(_write(tmp_path, GOOD), [ISSUED])
    assert templates.names() == ["invoice-issued"]
    assert templates.pick("invoice-issued", "de-CH").locale == "de"
    assert templates.pick("invoice-issued", "ja").locale == "en"  # the default
    assert templates.pick("invoice-issued").locale == "en"
    anna = rc.Person(name="Anna", emails=["anna@example.ch"], locale="de-CH")
    template, recipient = templates.for_party("invoice-issued", anna)
    assert (template.locale, recipient.locale) == ("de", "de_CH")
    out = template.render({"customer": Customer("Anna"), "number": "7"}, recipient)
    assert out.subject == "Rechnung 7"
    kenji = rc.Person(name="Kenji", locale="ja-JP")
    template, recipient = templates.for_party("invoice-issued", kenji)
    assert (template.locale, recipient.locale) == ("en", "en")  # one language throughout
    with pytest.raises(NotFoundError):
        templates.pick("nope")


def test_a_directory_reads_every_toml_and_refuses_a_name_given_twice(tmp_path: Path) -> None:
    _write(tmp_path, GOOD, "a.toml")
    assert load_templates(tmp_path, {"invoice.issued": ISSUED}).names() == ["invoice-issued"]
    _write(tmp_path, GOOD.replace('default_locale = "en"', ""), "b.toml")
    with pytest.raises(ValidationError) as info:
        load_templates(tmp_path, [ISSUED])
    assert info.value.field == "templates.invoice-issued"
    assert "b.toml" in info.value.reason
    assert "a.toml" in info.value.reason


@pytest.mark.parametrize(
    ("change", "field", "value"),
    [
        (
            ("{{ customer.name }}, Rechnung", "{{ customer.nmae }}, Rechnung"),
            "templates.invoice-issued.de.text",
            "customer.nmae",
        ),
        (
            ('event = "invoice.issued"', 'event = "invoice.paid"'),
            "templates.invoice-issued.event",
            "invoice.paid",
        ),
        (
            ('category = "transactional"', 'category = "spam"'),
            "templates.invoice-issued.category",
            "spam",
        ),
        (
            ("[templates.invoice-issued.de]", '[templates.invoice-issued."deutsch!"]'),
            "templates.invoice-issued.deutsch!",
            "deutsch!",
        ),
        (
            ('subject = "Rechnung {{ number }}"', 'subjekt = "x"'),
            "templates.invoice-issued.de.subjekt",
            "x",
        ),
        (
            ('subject = "Rechnung {{ number }}"', 'subject = "Rechnung {{ number"'),
            "templates.invoice-issued.de.subject",
            "Rechnung {{ number",
        ),
    ],
)
def test_a_bad_template_names_the_file_and_the_template(
    tmp_path: Path, change: tuple[str, str], field: str, value: object
) -> None:
    path = _write(tmp_path, GOOD.replace(*change))
    with pytest.raises(ValidationError) as info:
        load_templates(path, [ISSUED])
    assert (info.value.field, info.value.value) == (field, value)
    assert info.value.reason.startswith(f"in {path}: ")


def test_broken_toml_and_missing_paths_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as info:
        load_templates(_write(tmp_path, "[templates"), [ISSUED])
    assert "not valid TOML" in info.value.reason
    with pytest.raises(ValidationError):
        load_templates(tmp_path / "missing.toml", [ISSUED])
    with pytest.raises(ValidationError):
        load_templates(_write(tmp_path, GOOD), "invoice.issued")  # type: ignore[arg-type]
