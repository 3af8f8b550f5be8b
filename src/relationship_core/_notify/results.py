"""What a delivery attempt came to, the state of an endpoint, and when to try again."""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from relationship_core.exceptions import ValidationError

__all__ = ["DeliveryResult", "EndpointState", "Outcome"]


class Outcome(enum.Enum):
    """How one message's attempt ended, which tells the runner what to do next.

    ``DELIVERED``: done. ``RETRY``: a transient failure (5xx, a timeout, a
    refused connection, an SMTP 4xx); schedule another attempt with the
    `RetrySchedule`. ``DISABLE_ENDPOINT``: the receiver said it is gone (HTTP
    410); stop sending to it and record why in its `EndpointState`.
    ``REJECTED``: permanent for this message (an SMTP 5xx for the recipient);
    do not retry. ``SUPPRESSED``: the suppression list blocked it; not sent.
    """

    DELIVERED = "delivered"
    RETRY = "retry"
    DISABLE_ENDPOINT = "disable_endpoint"
    REJECTED = "rejected"
    SUPPRESSED = "suppressed"


@attrs.frozen
class DeliveryResult:
    """The outcome of one message of a batch.

    Attributes:
        idempotency_key: The notification's key, to match results to jobs.
        outcome: What happened.
        detail: A short reason for people (never holds a secret).
        status: The HTTP status or SMTP reply code, when there was one.
    """

    idempotency_key: str
    outcome: Outcome
    detail: str = ""
    status: int | None = None

    @property
    def retryable(self) -> bool:
        """Whether the runner should schedule another attempt."""
        return self.outcome is Outcome.RETRY


def _aware_or_none(value: object) -> datetime | None:
    if value is not None and (not isinstance(value, datetime) or value.utcoffset() is None):
        raise ValidationError("endpoint_state", value, "expected an aware datetime")
    return value


@attrs.frozen
class EndpointState:
    """Whether a webhook endpoint still receives messages (stored later by the outbox).

    Attributes:
        enabled: ``False`` once the endpoint answered 410 Gone (or was disabled by hand).
        disabled_reason: Why it was disabled, for the people who own it.
        disabled_at: When it was disabled.
        last_success_at: The last time a message was delivered to it.

    Examples:
        >>> from datetime import UTC, datetime
        >>> now = datetime(2026, 1, 2, tzinfo=UTC)
        >>> gone = DeliveryResult("k", Outcome.DISABLE_ENDPOINT, "410 Gone", 410)
        >>> EndpointState().after(gone, now).enabled
        False
    """

    enabled: bool = True
    disabled_reason: str | None = None
    disabled_at: datetime | None = attrs.field(default=None, converter=_aware_or_none)
    last_success_at: datetime | None = attrs.field(default=None, converter=_aware_or_none)

    def after(self, result: DeliveryResult, at: datetime) -> EndpointState:
        """The state once *result* has come back at *at*."""
        if result.outcome is Outcome.DELIVERED:
            return attrs.evolve(self, last_success_at=at)
        if result.outcome is Outcome.DISABLE_ENDPOINT:
            return attrs.evolve(self, enabled=False, disabled_reason=result.detail, disabled_at=at)
        return self

    def enable(self) -> EndpointState:
        """Re-enable after its owner fixed it; keeps the last success."""
        return attrs.evolve(self, enabled=True, disabled_reason=None, disabled_at=None)
