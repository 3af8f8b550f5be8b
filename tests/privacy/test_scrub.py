"""What counts as mentioning a party: whole names, addresses, phone numbers in any format."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from relationship_core._privacy.scrub import scrub
from relationship_core.privacy import ERASED, Subject

ANN = Subject.of("p1", ["Ann", "ann@example.org"], ["+44 20 7946 0958"])


def test_names_match_as_whole_words_only() -> None:
    assert ANN.mentioned_in("Called ANN about the renewal")
    assert ANN.mentioned_in("ann's order")
    for text in ("annual report", "channel: email", "Joanna", "Annette"):
        assert not ANN.mentioned_in(text), text


def test_addresses_and_phone_numbers_in_any_format() -> None:
    assert ANN.mentioned_in("Mail to ANN@Example.org please")
    for phone in ("020 7946 0958", "+44 (0)20 7946-0958", "02079460958", "tel: 20.7946.0958"):
        assert ANN.mentioned_in(phone), phone
    assert not ANN.mentioned_in("2026-03-02T09:46:09.580000+00:00")
    assert not ANN.mentioned_in("020 7946 0959")


def test_scrub_replaces_whole_values_and_keeps_structure() -> None:
    doc = {"a": "hi Ann", "b": ["x", "ann@example.org"], "c": {"d": 3, "e": "fine"}}
    new, hit = scrub(doc, ANN)
    assert hit
    assert new == {
        "a": ERASED,
        "b": ["x", f"{ANN.pseudonym}@erased.invalid"],
        "c": {"d": 3, "e": "fine"},
    }


@given(st.text(alphabet=st.characters(categories=["Ll", "Lu", "Zs", "Nd"]), max_size=40))
def test_scrubbed_text_never_mentions_the_party(text: str) -> None:
    new, hit = scrub({"t": f"{text} Ann {text}"}, ANN)
    assert hit
    assert not ANN.mentioned_in(new["t"])
