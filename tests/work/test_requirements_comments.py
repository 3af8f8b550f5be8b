"""Requirement revisions and diffs; comments with mentions and visibility."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from relationship_core._work import (
    Comment,
    DiscoveryNote,
    RequirementDocument,
    RequirementRevised,
    parse_mentions,
)
from relationship_core.exceptions import ValidationError

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


def test_revisions_kept_and_diffed() -> None:
    doc = RequirementDocument.create(
        "E-1", {"scope": "Website\nShop", "deadlines": "June", "extras": "none"}, by="ana", at=T0
    )
    doc.revise(
        {"scope": "Website\nShop\nBlog", "deadlines": None}, by="ben", at=T0 + timedelta(days=1)
    )
    assert [r.by for r in doc.revisions] == ["ana", "ben"]
    assert list(doc.revision(1).sections) == ["scope", "deadlines", "extras"]
    assert doc.diff(1, 2) == {"scope": "+ Blog", "deadlines": "- June"}
    event = doc.pull_events()[-1]
    assert isinstance(event, RequirementRevised)
    assert event.sections == ("scope", "deadlines")
    with pytest.raises(ValidationError):
        doc.revise({}, by="ben", at=T0 + timedelta(days=2))  # nothing changed
    with pytest.raises(ValidationError) as e:
        doc.revision(3)
    assert e.value.value == 3
    note = DiscoveryNote(
        engagement_id="E-1", interaction_ids=["I-1", "I-2"], text="Wants a blog", by="ana", at=T0
    )
    assert note.interaction_ids == ("I-1", "I-2")


def test_mentions_validated_and_visibility() -> None:
    assert parse_mentions("hi @ana, mail ana@example.com or @ben-k.") == ("ana", "ben-k")
    people = {"ana": "P-ana", "ben": "P-ben"}
    comment = Comment.write(
        "task",
        "T-1",
        "@ben can you check? cc @ana @ben",
        author="ana",
        at=T0,
        visibility="internal",
        people=people,
    )
    assert comment.mentions == ("P-ben", "P-ana")
    assert comment.internal
    assert comment.event().mentions == ("P-ben", "P-ana")
    with pytest.raises(ValidationError) as unknown:
        Comment.write(
            "ticket", "K-1", "@zed look", author="ana", at=T0, visibility="shared", people=people
        )
    assert (unknown.value.field, unknown.value.value) == ("body", "@zed")
    with pytest.raises(ValidationError) as contact:
        Comment.write(
            "requirement",
            "R-1",
            "secret",
            author="C-1",
            author_kind="contact",
            at=T0,
            visibility="internal",
        )
    assert contact.value.field == "visibility"
    shared = Comment.write(
        "requirement",
        "R-1",
        "Looks good",
        author="C-1",
        author_kind="contact",
        at=T0,
        visibility="shared",
    )
    assert not shared.internal
