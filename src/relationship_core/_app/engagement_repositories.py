"""Typed repositories of the built-in engagement and interaction kinds, with their lookups."""

from __future__ import annotations

from datetime import datetime

from relationship_core._app.repository import Repository, Results
from relationship_core._domain.engagements import Engagement, EngagementKind, Interaction
from relationship_core._domain.validators import to_enum

__all__ = ["EngagementRepository", "InteractionRepository"]


class EngagementRepository(Repository[Engagement]):
    """Engagements, with the client/customer rule built in."""

    def of_kind(
        self, kind: EngagementKind | str, *, limit: int = 100, after: str | None = None
    ) -> Results[Engagement]:
        """Engagements of *kind*: asking for customers includes clients (every client is one)."""
        wanted = to_enum(EngagementKind, "kind", kind)
        if wanted is EngagementKind.CUSTOMER:
            return self.query(limit=limit, after=after)
        return self.query(kind=wanted.value, limit=limit, after=after)

    def of_party(self, party_id: str) -> list[Engagement]:
        """Every engagement of one party."""
        return list(self.iterate(party_id=party_id))


class InteractionRepository(Repository[Interaction]):
    """Interactions, ordered by time; the last contact is derived from them, never stored."""

    def of_engagement(
        self,
        engagement_id: str,
        *,
        newest_first: bool = False,
        limit: int = 100,
        after: str | None = None,
    ) -> Results[Interaction]:
        """The interactions of one engagement in time order."""
        return self.query(
            engagement_id=engagement_id,
            order_by="occurred_at",
            descending=newest_first,
            limit=limit,
            after=after,
        )

    def last_contact(self, engagement_id: str) -> datetime | None:
        """When the party of this engagement was last contacted, or ``None``."""
        page = self.of_engagement(engagement_id, newest_first=True, limit=1)
        return page.items[0].occurred_at if page.items else None
