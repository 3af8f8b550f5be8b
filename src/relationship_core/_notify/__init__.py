"""Notification channels and templates (private until the outbox lands).

Channels deliver batches of rendered `Notification`s (``deliver(batch)``)
and report a `DeliveryResult` per message; the outbox runner (built
separately) calls them from its job handler and uses `RetrySchedule`
for failures. Templates are Jinja2 in a bounded sandbox, checked against
their event's context shape when loaded. See docs/notifications.md and
docs/channels.md.
"""

from relationship_core._notify.apprise_channel import AppriseChannel
from relationship_core._notify.channel import (
    NO_SUPPRESSION,
    Channel,
    ChannelConfig,
    ChannelFactory,
    ChannelSpec,
    SuppressionList,
    suppressed_results,
)
from relationship_core._notify.config import BUILTIN_CHANNELS, load_channels
from relationship_core._notify.message import Category, Notification, Recipient, Unsubscribe
from relationship_core._notify.results import DeliveryResult, EndpointState, Outcome
from relationship_core._notify.retry import STANDARD_WEBHOOKS_SCHEDULE, RetrySchedule
from relationship_core._notify.sandbox import DEFAULT_LIMITS, RenderLimits
from relationship_core._notify.secrets import ChannelSecrets, Secret, SecretLookup
from relationship_core._notify.shapes import ANY, EventType, Shape, shape_of
from relationship_core._notify.signing import new_secret, signature_header
from relationship_core._notify.simple import LogChannel, MemoryChannel
from relationship_core._notify.smtp import SmtpChannel, build_email
from relationship_core._notify.templates import NotificationTemplate, Rendered, load_template
from relationship_core._notify.webhook import WebhookChannel, webhook_body

__all__ = [
    # messages
    "Category",
    "Notification",
    "Recipient",
    "Unsubscribe",
    # channels
    "Channel",
    "ChannelConfig",
    "ChannelFactory",
    "ChannelSpec",
    "BUILTIN_CHANNELS",
    "load_channels",
    "LogChannel",
    "MemoryChannel",
    "SmtpChannel",
    "WebhookChannel",
    "AppriseChannel",
    "build_email",
    "webhook_body",
    "signature_header",
    "new_secret",
    # consent
    "SuppressionList",
    "NO_SUPPRESSION",
    "suppressed_results",
    # results and retries
    "DeliveryResult",
    "Outcome",
    "EndpointState",
    "RetrySchedule",
    "STANDARD_WEBHOOKS_SCHEDULE",
    # secrets
    "Secret",
    "SecretLookup",
    "ChannelSecrets",
    # templates
    "EventType",
    "Shape",
    "ANY",
    "shape_of",
    "load_template",
    "NotificationTemplate",
    "Rendered",
    "RenderLimits",
    "DEFAULT_LIMITS",
]
