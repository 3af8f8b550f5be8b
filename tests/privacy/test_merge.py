"""Duplicate candidates, and a merge that re-points every reference, undone or confirmed."""

from __future__ import annotations

import pytest

import relationship_core as rc
from relationship_core._billing.invoices import Invoice
from relationship_core.exceptions import NotFoundError, ValidationError
from relationship_core.privacy import confirm_merge, duplicates, merge_parties, undo_merge

from .story import ANN, build


def _owners(crm: rc.CRM, story: object) -> tuple[str, str, str]:
    s = story
    return (
        crm.engagements.get(s.engagement).party_id,  # type: ignore[attr-defined]
        crm.interactions.get(s.interaction).party_id,  # type: ignore[attr-defined]
        crm.repository(Invoice).get(s.invoice).party_id,  # type: ignore[attr-defined]
    )


def test_merge_repoints_references_and_undo_restores(url: str) -> None:
    with rc.open(url) as crm:
        story = build(crm)
        twin = rc.Person(
            name="A. Quixote", emails=[ANN["email"].upper()], phone="+44 (20) 7946-0311"
        )
        crm.parties.add(twin)
        groups = {g.key: g.party_ids for g in duplicates(crm)}
        pair = tuple(sorted((story.ann, twin.id)))
        assert groups[f"email:{ANN['email']}"] == pair
        assert groups["phone:442079460311"] == pair  # the same number, punctuated otherwise
        merge = merge_parties(crm, twin.id, story.ann, actor=rc.Actor.person("clerk-7"))
        assert crm.parties.find(story.ann) is None
        assert _owners(crm, story) == (twin.id,) * 3
        assert len(merge.repointed) >= 3
        undo_merge(crm, merge.id)
        assert crm.parties.get(story.ann).name == ANN["name"]
        assert _owners(crm, story) == (story.ann,) * 3
        with pytest.raises(ValidationError, match="undone"):
            confirm_merge(crm, merge.id)
        again = merge_parties(crm, twin.id, story.ann)
        done = confirm_merge(crm, again.id)
        assert done.dropped == {}
        assert done.state == "confirmed"
        assert _owners(crm, story) == (twin.id,) * 3
        with pytest.raises(ValidationError, match="confirmed"):
            undo_merge(crm, again.id)
        with pytest.raises(NotFoundError):
            merge_parties(crm, twin.id, story.ann)
        with pytest.raises(ValidationError, match="itself"):
            merge_parties(crm, twin.id, twin.id)
