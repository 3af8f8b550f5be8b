"""Comments on tasks, requirement documents and tickets, with ``@mentions``."""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from relationship_core._domain.ids import new_id
from relationship_core._domain.timeutil import require_aware
from relationship_core._domain.validators import check_text, non_empty_text, to_enum
from relationship_core._work.events import CommentAdded
from relationship_core.exceptions import ValidationError

__all__ = ["AuthorKind", "Comment", "SubjectKind", "Visibility", "parse_mentions"]

# A handle after "@" that is not inside a word or an e-mail address.
_MENTION = re.compile(r"(?<![\w@.])@([A-Za-z0-9](?:[\w.-]*\w)?)")


class SubjectKind(enum.Enum):
    """What a comment is on."""

    TASK = "task"
    REQUIREMENT = "requirement"
    TICKET = "ticket"


class AuthorKind(enum.Enum):
    """Who wrote it: the business's staff, or one of the party's own contacts."""

    STAFF = "staff"
    CONTACT = "contact"


class Visibility(enum.Enum):
    """Whether the party's contacts see it."""

    INTERNAL = "internal"
    SHARED = "shared"


def parse_mentions(body: str) -> tuple[str, ...]:
    """The ``@handles`` in *body*, in order, once each (e-mail addresses are not mentions).

    Examples:
        >>> parse_mentions("@ana please check with @ben.k (cc ana@example.com, @ana)")
        ('ana', 'ben.k')
    """
    return tuple(dict.fromkeys(_MENTION.findall(body)))


def _body(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """Free text over several lines (a mailed reply), not blank."""
    check_text(attribute.name, value, multiline=True)


@attrs.frozen(kw_only=True)
class Comment:
    """A comment, marked internal or shared; its mentions resolved to people.

    Create with `Comment.write`, which checks mentions against the people who
    may be mentioned and refuses internal comments from a party's contacts.

    Attributes:
        subject_kind: Task, requirement or ticket.
        subject_id: The id of what it is on.
        author_kind: Staff or contact.
        author: The author's id.
        body: The text.
        visibility: Internal or shared.
        mentions: The mentioned people's ids, in order.
        at: When written.
        id: The comment's id.
        party_id: The party whose task, document or ticket it is on (who may see it if shared).
    """

    subject_kind: SubjectKind
    subject_id: str = attrs.field(validator=non_empty_text)
    author_kind: AuthorKind
    author: str = attrs.field(validator=non_empty_text)
    body: str = attrs.field(validator=_body)
    visibility: Visibility
    mentions: tuple[str, ...] = ()
    at: datetime
    id: str = attrs.field(factory=new_id)
    party_id: str | None = None

    @classmethod
    def write(
        cls,
        subject_kind: SubjectKind | str,
        subject_id: str,
        body: str,
        *,
        author: str,
        at: datetime,
        visibility: Visibility | str,
        author_kind: AuthorKind | str = AuthorKind.STAFF,
        people: Mapping[str, str] | None = None,
        id: str | None = None,
        party_id: str | None = None,
    ) -> Comment:
        """A checked comment; *people* maps each mentionable handle to a person id."""
        require_aware("at", at)
        kind = to_enum(AuthorKind, "author_kind", author_kind)
        seen = to_enum(Visibility, "visibility", visibility)
        if kind is AuthorKind.CONTACT and seen is Visibility.INTERNAL:
            raise ValidationError(
                "visibility", seen.value, "a party's contact can only write shared comments"
            )
        if not isinstance(body, str) or not body.strip():
            raise ValidationError("body", body, "must be non-empty text")
        known = people or {}
        mentions = []
        for handle in parse_mentions(body):
            if handle not in known:
                names = ", ".join(sorted(known)) or "nobody"
                raise ValidationError(
                    "body", f"@{handle}", f"no such person to mention; known: {names}"
                )
            mentions.append(known[handle])
        return cls(
            subject_kind=to_enum(SubjectKind, "subject_kind", subject_kind),
            subject_id=subject_id,
            author_kind=kind,
            author=author,
            body=body,
            visibility=seen,
            mentions=tuple(dict.fromkeys(mentions)),
            at=at,
            id=new_id() if id is None else id,
            party_id=party_id,
        )

    @property
    def internal(self) -> bool:
        """Hidden from the party's contacts."""
        return self.visibility is Visibility.INTERNAL

    def event(self) -> CommentAdded:
        """The `CommentAdded` event for this comment (comments are not aggregates)."""
        return CommentAdded(
            aggregate_id=self.subject_id,
            occurred_at=self.at,
            subject_kind=self.subject_kind.value,
            subject_id=self.subject_id,
            author=self.author,
            internal=self.internal,
            mentions=self.mentions,
        )
