"""Engagements: the business's relationship with a party, as client or customer."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import attrs

from relationship_core._domain.engagement_events import (
    ClientLapsed,
    CustomerPromoted,
    EngagementEnded,
    EngagementKind,
    EngagementStarted,
    KindChange,
    as_engagement_kind,
)
from relationship_core._domain.events import DomainEvent, EventRecorder, events_field
from relationship_core._domain.ids import new_id
from relationship_core._domain.interactions import (
    Channel,
    Direction,
    Interaction,
    InteractionLogged,
    last_contact,
)
from relationship_core._domain.parties import Party
from relationship_core._domain.timeutil import require_aware, require_date, to_zone
from relationship_core._domain.validators import (
    a_date,
    identifier,
    optional_text,
    tuple_of,
)
from relationship_core.exceptions import InvalidTransitionError, ValidationError

__all__ = [
    "Channel",
    "ClientLapsed",
    "CustomerPromoted",
    "Direction",
    "Engagement",
    "EngagementEnded",
    "EngagementKind",
    "EngagementStarted",
    "Interaction",
    "InteractionLogged",
    "KindChange",
    "last_contact",
]


def _zone(value: object) -> ZoneInfo:
    return to_zone("time_zone", value)


def _history(value: object) -> tuple[KindChange, ...]:
    return tuple_of("history", KindChange, value)


@attrs.define(kw_only=True, on_setattr=attrs.setters.frozen)
class Engagement(EventRecorder):
    """The business's relationship with one party.

    A **client** is served by a dedicated account manager (required); a
    **customer** by a shared support team (required). Change the kind only
    through `promote_to_client` and `lapse_to_customer`, which
    record the change in `history` and as a domain event; fields
    cannot be assigned directly, so an engagement is never half-changed.

    Attributes:
        id: Stable id; sorts by creation time.
        party_id: The party engaged.
        kind: Client or customer today.
        acquired_on: The day the party was won.
        time_zone: The account's IANA zone: it decides which local day things happen on.
        sales_rep: The colleague responsible for the sale.
        account_manager: The client's dedicated manager (``None`` for customers).
        support_team: The shared team serving customers (optional for clients).
        history: Promotions and lapses, oldest first.
        ended_on: The day it ended for good (`end`), or ``None`` while live.
        end_reason: Why it ended, as a code.
    """

    id: str = attrs.field(factory=new_id, validator=identifier)
    party_id: str = attrs.field(validator=identifier)
    kind: EngagementKind = attrs.field(converter=as_engagement_kind)
    acquired_on: date = attrs.field(validator=a_date)
    time_zone: ZoneInfo = attrs.field(default=ZoneInfo("UTC"), converter=_zone)
    sales_rep: str | None = attrs.field(default=None, validator=optional_text)
    account_manager: str | None = attrs.field(default=None, validator=optional_text)
    support_team: str | None = attrs.field(default=None, validator=optional_text)
    history: tuple[KindChange, ...] = attrs.field(factory=tuple, converter=_history)
    ended_on: date | None = attrs.field(default=None)
    end_reason: str | None = attrs.field(default=None, validator=optional_text)
    _events: list[DomainEvent] = events_field()

    def __attrs_post_init__(self) -> None:
        if self.kind is EngagementKind.CLIENT and self.account_manager is None:
            raise ValidationError(
                "account_manager", None, "a client needs a dedicated account manager"
            )
        if self.kind is EngagementKind.CUSTOMER:
            if self.support_team is None:
                raise ValidationError(
                    "support_team", None, "a customer is served by a support team; name one"
                )
            if self.account_manager is not None:
                raise ValidationError(
                    "account_manager",
                    self.account_manager,
                    "customers have no dedicated account manager; promote them to client",
                )

    # -- lifecycle ----------------------------------------------------------
    @classmethod
    def start(
        cls,
        party: Party | str,
        *,
        kind: EngagementKind | str,
        acquired_on: date,
        at: datetime,
        sales_rep: str | None = None,
        account_manager: str | None = None,
        support_team: str | None = None,
        time_zone: ZoneInfo | str | None = None,
        id: str | None = None,
    ) -> Engagement:
        """Begin an engagement and record `EngagementStarted`.

        The time zone defaults to the party's when a `Party` is given.
        """
        require_aware("at", at)
        zone = time_zone or (party.time_zone if isinstance(party, Party) else "UTC")
        engagement = cls(
            id=id or new_id(),
            party_id=party.id if isinstance(party, Party) else party,
            kind=kind,
            acquired_on=acquired_on,
            time_zone=zone,
            sales_rep=sales_rep,
            account_manager=account_manager,
            support_team=support_team,
        )
        engagement._record(
            EngagementStarted(
                aggregate_id=engagement.id,
                occurred_at=at,
                party_id=engagement.party_id,
                kind=engagement.kind,
                acquired_on=acquired_on,
                sales_rep=sales_rep,
            )
        )
        return engagement

    @property
    def is_client(self) -> bool:
        """Whether this engagement is a client one today."""
        return self.kind is EngagementKind.CLIENT

    @property
    def served_by(self) -> str:
        """Who serves the party: the account manager of a client, else the support team."""
        if self.kind is EngagementKind.CLIENT:
            return self.account_manager  # type: ignore[return-value]  # invariant: set
        return self.support_team  # type: ignore[return-value]  # invariant: set

    def local_date(self, instant: datetime) -> date:
        """The calendar day *instant* falls on in the account's time zone."""
        return require_aware("at", instant).astimezone(self.time_zone).date()

    def _effective(self, on: date | None, at: datetime) -> date:
        day = self.local_date(at) if on is None else require_date("on", on)
        earliest = self.history[-1].on if self.history else self.acquired_on
        if day < earliest:
            raise ValidationError(
                "on", day, f"is before the last recorded change ({earliest.isoformat()})"
            )
        return day

    def _set(self, **changes: object) -> None:
        for name, value in changes.items():
            object.__setattr__(self, name, value)

    def _change_kind(
        self, to: EngagementKind, on: date | None, at: datetime, reason: str, **fields: object
    ) -> KindChange:
        """Move to kind *to*, keeping the change in history; *fields* change with it."""
        change = KindChange(
            from_kind=self.kind, to_kind=to, on=self._effective(on, at), at=at, reason=reason
        )
        self._set(kind=to, history=(*self.history, change), **fields)
        return change

    def end(
        self, *, reason_code: str, at: datetime, on: date | None = None, note: str = ""
    ) -> None:
        """End this engagement for good and record `EngagementEnded`.

        Churn is this explicit end, not a field of its own: when it ends the
        party's last live engagement, the lifecycle feature moves the party to
        "churned". *on* defaults to *at*'s day in the account's time zone.
        """
        self._live()
        check = EngagementEnded(
            aggregate_id=self.id,
            occurred_at=at,
            party_id=self.party_id,
            on=self._effective(on, at),
            reason_code=reason_code,
            note=note,
        )
        self._set(ended_on=check.on, end_reason=reason_code)
        self._record(check)

    @property
    def is_live(self) -> bool:
        """Whether the engagement has not been ended."""
        return self.ended_on is None

    def _live(self) -> None:
        if self.ended_on is not None:
            raise InvalidTransitionError("engagement", "ended", "ended", [])

    def promote_to_client(
        self, *, account_manager: str, reason: str, at: datetime, on: date | None = None
    ) -> KindChange:
        """Make this customer a client with a dedicated *account_manager*.

        *on* is the effective day; it defaults to *at*'s day in the account's time zone.
        """
        self._live()
        if self.kind is EngagementKind.CLIENT:
            raise InvalidTransitionError("engagement", "client", "client", ["customer"])
        if not isinstance(account_manager, str) or not account_manager.strip():
            raise ValidationError(
                "account_manager", account_manager, "a client needs a dedicated account manager"
            )
        change = self._change_kind(
            EngagementKind.CLIENT, on, at, reason, account_manager=account_manager
        )
        self._record(
            CustomerPromoted(
                aggregate_id=self.id,
                occurred_at=at,
                party_id=self.party_id,
                account_manager=account_manager,
                on=change.on,
                reason=reason,
            )
        )
        return change

    def lapse_to_customer(
        self,
        *,
        reason: str,
        at: datetime,
        support_team: str | None = None,
        on: date | None = None,
    ) -> KindChange:
        """Let this client fall back to a customer served by a support team.

        The support team already on the engagement is kept unless *support_team* names another.
        """
        self._live()
        if self.kind is EngagementKind.CUSTOMER:
            raise InvalidTransitionError("engagement", "customer", "customer", ["client"])
        team = support_team or self.support_team
        if not team or not team.strip():
            raise ValidationError(
                "support_team", support_team, "a customer is served by a support team; name one"
            )
        change = self._change_kind(
            EngagementKind.CUSTOMER, on, at, reason, account_manager=None, support_team=team
        )
        self._record(
            ClientLapsed(
                aggregate_id=self.id,
                occurred_at=at,
                party_id=self.party_id,
                support_team=team,
                on=change.on,
                reason=reason,
            )
        )
        return change

    def assign(
        self,
        *,
        sales_rep: str | None = None,
        account_manager: str | None = None,
        support_team: str | None = None,
    ) -> None:
        """Hand the engagement to other colleagues; only the names given change."""
        if account_manager is not None and self.kind is not EngagementKind.CLIENT:
            raise ValidationError(
                "account_manager",
                account_manager,
                "customers have no dedicated account manager; promote them to client first",
            )
        candidate = attrs.evolve(
            self,
            sales_rep=sales_rep or self.sales_rep,
            account_manager=account_manager or self.account_manager,
            support_team=support_team or self.support_team,
        )
        self._set(
            sales_rep=candidate.sales_rep,
            account_manager=candidate.account_manager,
            support_team=candidate.support_team,
        )

    def log_interaction(
        self,
        channel: Channel | str,
        *,
        at: datetime,
        summary: str = "",
        direction: Direction | str = Direction.OUTBOUND,
        by: str | None = None,
        id: str | None = None,
    ) -> Interaction:
        """Record a contact with the party and the `InteractionLogged` event.

        The interaction is its own record; the engagement's last contact is
        derived from interactions with `last_contact`, never stored.
        """
        interaction = Interaction(
            id=id or new_id(),
            engagement_id=self.id,
            party_id=self.party_id,
            channel=channel,
            occurred_at=at,
            summary=summary,
            direction=direction,
            by=by,
        )
        self._record(
            InteractionLogged(
                aggregate_id=self.id,
                occurred_at=at,
                interaction_id=interaction.id,
                party_id=self.party_id,
                channel=interaction.channel,
            )
        )
        self._created(interaction)  # saved with the engagement, in the same unit of work
        return interaction
