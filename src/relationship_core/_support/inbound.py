"""Inbound e-mail: messages become tickets, replies become comments on their ticket.

`MailIntake.receive` takes one raw message (bytes), checks it whole before
anything is stored, and in one unit of work either opens a ticket (channel
``email``) for the party writing from ``From`` (found or created as a form
submission's is) or adds the sender's shared comment to the ticket it
replies to. A reply is threaded by the ids in ``In-Reply-To`` and
``References`` (each received ``Message-ID`` is stored as a `MailThread`),
then by a ``[#<ticket id>]`` reference in the subject, and only to a ticket
of the sender's own party; otherwise it opens a new ticket. A message
delivered twice (same ``Message-ID``) is stored once. A reply to a ticket
pending on the customer moves it to pending on us.

`MailReceiver` serves it over SMTP or LMTP (aiosmtpd, the ``inbound`` extra).
"""

from __future__ import annotations

import email
import email.policy
import re
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any

import attrs

from relationship_core._domain.actor import Actor
from relationship_core._support.forms import FormSubmission, TicketChannel
from relationship_core._support.kinds import MailThread
from relationship_core._support.tickets import Ticket
from relationship_core._work.comments import AuthorKind, Comment, SubjectKind, Visibility
from relationship_core._work.service import attempt
from relationship_core.exceptions import ConflictError, ValidationError

if TYPE_CHECKING:
    from relationship_core._app.uow import UnitOfWork
    from relationship_core._support.service import SupportService

__all__ = ["MailIntake", "MailOutcome", "ParsedMail", "parse_mail"]

_MSGID = re.compile(r"<([^<>\s]{1,900})>")
_REF = re.compile(r"\[#([A-Za-z0-9_-]{1,64})\]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_HEADER_CONTROL = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]")
DEFAULT_MAX_BYTES = 1_000_000


@attrs.frozen(kw_only=True)
class ParsedMail:
    """A received message, checked: what intake needs of it.

    Attributes:
        message_id: Its ``Message-ID`` (normalised), if it has one.
        replies_to: The ids of ``In-Reply-To`` then ``References`` (newest first).
        name: The sender's display name (or the local part of the address).
        address: The sender's address.
        subject: The subject line.
        body: The plain-text body.
    """

    message_id: str | None
    replies_to: tuple[str, ...]
    name: str
    address: str
    subject: str
    body: str

    @property
    def ticket_reference(self) -> str | None:
        """The ticket id a ``[#<id>]`` in the subject names."""
        found = _REF.search(self.subject)
        return found.group(1) if found else None


def _ids(value: object) -> list[str]:
    return [m.lower() for m in _MSGID.findall(str(value or ""))]


def _header(msg: EmailMessage, name: str) -> str:
    try:
        value = msg.get(name)
        text = "" if value is None else str(value)
    except (LookupError, UnicodeError, ValueError, TypeError, AttributeError) as exc:
        raise ValidationError(name, "<undecodable>", f"cannot decode the header: {exc}") from None
    if _HEADER_CONTROL.search(text):
        raise ValidationError(name, text, "a header cannot hold line breaks or control characters")
    return text


def parse_mail(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> ParsedMail:
    """Check a raw message: size, sender, headers and a decodable text body.

    Raises:
        ValidationError: Naming what is wrong (``message``, ``From``, ``Subject``,
            ``body``): too large, no sender, a header carrying line breaks, an
            unknown charset or undecodable bytes.
    """
    if not isinstance(data, bytes | bytearray):
        raise ValidationError("message", type(data).__name__, "give the raw message as bytes")
    if len(data) > max_bytes:
        raise ValidationError("message", f"{len(data)} bytes", f"larger than {max_bytes} bytes")
    msg = email.message_from_bytes(bytes(data), policy=email.policy.default)
    if not isinstance(msg, EmailMessage) or (msg.defects and not msg.keys()):
        raise ValidationError("message", "<unparsable>", "not an e-mail message")
    sender = _header(msg, "From")
    try:
        addresses: tuple[Any, ...] = tuple(msg["From"].addresses) if msg["From"] is not None else ()
    except (AttributeError, IndexError, ValueError):
        addresses = ()
    if len(addresses) != 1 or "@" not in str(addresses[0].addr_spec or ""):
        raise ValidationError("From", sender, "give exactly one sender address")
    address = str(addresses[0].addr_spec)
    name = str(addresses[0].display_name or address.split("@", maxsplit=1)[0])
    subject = _header(msg, "Subject")
    message_id = next(iter(_ids(_header(msg, "Message-ID"))), None)
    replies = _ids(_header(msg, "In-Reply-To")) + list(reversed(_ids(_header(msg, "References"))))
    try:
        part = msg.get_body(preferencelist=("plain",))
        body = "" if part is None else part.get_content()
    except (LookupError, UnicodeError, ValueError, KeyError, AttributeError) as exc:
        raise ValidationError("body", "<undecodable>", f"cannot decode the text: {exc}") from None
    if isinstance(body, str):
        body = body.replace("\r\n", "\n")
    if not isinstance(body, str) or _CONTROL.search(body):
        raise ValidationError("body", "<binary>", "the text body holds control characters")
    return ParsedMail(
        message_id=message_id,
        replies_to=tuple(dict.fromkeys(replies)),
        name=name,
        address=address,
        subject=subject.strip(),
        body=body.strip(),
    )


@attrs.frozen(kw_only=True)
class MailOutcome:
    """What a received message became.

    Attributes:
        ticket_id: The ticket it opened or was threaded into.
        comment_id: The comment it became (``None``: it opened the ticket).
        duplicate: It had been received before (nothing new was stored).
    """

    ticket_id: str
    comment_id: str | None
    duplicate: bool = False


class MailIntake:
    """Raw messages to tickets and comments, through a `SupportService`.

    Args:
        support: The service (its team routing, business and SLA policies apply).
        team: The team new mail tickets route to (default: the service's).
        max_bytes: The largest message accepted.
    """

    def __init__(
        self,
        support: SupportService,
        *,
        team: str | None = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        from relationship_core._support.service import SupportService

        if not isinstance(support, SupportService):
            raise ValidationError("support", support, "give a SupportService")
        if team is not None and (not isinstance(team, str) or not team.strip()):
            raise ValidationError("team", team, "give a team name, or None")
        if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1:
            raise ValidationError("max_bytes", max_bytes, "a positive number of bytes")
        self.support = support
        self.team = team or support.default_team
        self.max_bytes = max_bytes

    def receive(self, data: bytes) -> MailOutcome:
        """Store one message: a new ticket or a comment, all or nothing (`ValidationError`)."""
        mail = parse_mail(data, max_bytes=self.max_bytes)
        problem = f"{mail.subject}\n\n{mail.body}".strip() or "(empty message)"
        form = FormSubmission(
            name=mail.name, email=mail.address, problem=problem, channel=TicketChannel.EMAIL
        )
        work = self._work(mail, form)
        try:
            return attempt(self.support.crm, Actor.form(), work, attempts=1)
        except ConflictError:  # a racing submission from the same address won: once more
            return attempt(self.support.crm, Actor.form(), work, attempts=1)

    def _work(self, mail: ParsedMail, form: FormSubmission) -> _Work:
        return _Work(self, mail, form)


@attrs.frozen
class _Work:
    intake: MailIntake
    mail: ParsedMail
    form: FormSubmission

    def __call__(self, uow: UnitOfWork) -> MailOutcome:
        support = self.intake.support
        threads = uow.repository(MailThread)
        if self.mail.message_id is not None:
            seen = threads.find(self.mail.message_id)
            if seen is not None:
                return MailOutcome(
                    ticket_id=seen.ticket_id, comment_id=seen.comment_id, duplicate=True
                )
        ticket = self._thread(uow)
        if ticket is None:
            ticket = support._submit(uow, self.form, self.intake.team)
            outcome = MailOutcome(ticket_id=ticket.id, comment_id=None)
        else:
            now = support.crm.clock.now()
            comment = Comment.write(
                SubjectKind.TICKET,
                ticket.id,
                self.form.problem,
                author=ticket.party_id or str(self.form.email),
                at=now,
                visibility=Visibility.SHARED,
                author_kind=AuthorKind.CONTACT,
                people={},
                party_id=ticket.party_id,
            )
            uow.add(comment)
            uow.publish(comment.event(), kind="comment")
            ticket.customer_wrote(at=max(now, ticket.last_change_at), by="email")
            outcome = MailOutcome(ticket_id=ticket.id, comment_id=comment.id)
        if self.mail.message_id is not None:
            threads.add(
                MailThread(
                    id=self.mail.message_id,
                    ticket_id=outcome.ticket_id,
                    comment_id=outcome.comment_id,
                )
            )
        return outcome

    def _thread(self, uow: UnitOfWork) -> Ticket | None:
        """The sender's own ticket this message replies to, if any."""
        sender = self.intake.support.party_for(str(self.form.email))
        if sender is None:
            return None
        tickets = uow.repository(Ticket)
        candidates: list[str] = []
        for ref in self.mail.replies_to:
            thread = uow.repository(MailThread).find(ref)
            if thread is not None:
                candidates.append(thread.ticket_id)
        if self.mail.ticket_reference is not None:
            candidates.append(self.mail.ticket_reference)
        for ticket_id in candidates:
            ticket = tickets.find(ticket_id)
            if ticket is not None and ticket.party_id == sender:
                return ticket
        return None
