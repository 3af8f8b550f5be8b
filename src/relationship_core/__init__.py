"""relationship_core: clients, customers and the money between them.

Everything an application needs is importable from here; the modules with a
leading underscore are private and may change without notice.
"""

from __future__ import annotations

# Registers the billing kinds (retainers, orders, invoices, ...) so every store knows them.
from relationship_core._app import billing_kinds as _billing_kinds  # noqa: F401
from relationship_core._app.billing import (
    BillingFailure,
    BillingInterruptedError,
    BillingRun,
    BillingService,
)
from relationship_core._app.bus import EventBus
from relationship_core._app.consumers import Consumer
from relationship_core._app.envelope import Envelope, LoggedEvent
from relationship_core._app.facade import (
    CRM,
    EngagementRepository,
    EventLog,
    InteractionRepository,
    JobQueue,
    migrate,
)
from relationship_core._app.facade import open_store as open
from relationship_core._app.kinds import register_mapping
from relationship_core._app.mapping import KindMapping, MappingRegistry
from relationship_core._app.runner import Backoff, JobResult, RetryAfter, Runner
from relationship_core._app.schedules import Schedule, Schedules
from relationship_core._app.search import PartyRepository
from relationship_core._app.unique_emails import (
    EmailKeyReport,
    duplicate_emails,
    enable_unique_emails,
)
from relationship_core._app.uow import Repository, Results, UnitOfWork
from relationship_core._billing import (
    ACTUAL_DAYS,
    INVOICE_TRANSITIONS,
    ORDER_TRANSITIONS,
    THIRTY_360,
    BillingCycle,
    BillingPeriod,
    BillingSchedule,
    BillingStep,
    BillingTiming,
    CreditNote,
    CreditNoteIssued,
    CreditNoteStatus,
    CycleUnit,
    FeeChange,
    HoursBank,
    HoursLot,
    HoursPolicy,
    Invoice,
    InvoiceIssued,
    InvoiceNumberSequence,
    InvoicePaid,
    InvoiceSource,
    InvoiceStatus,
    InvoiceVoided,
    LineItem,
    LineKind,
    MrrMovements,
    Order,
    OrderAssigned,
    OrderCancelled,
    OrderFulfilled,
    OrderInvoiced,
    OrderPaid,
    OrderPlaced,
    OrderRefunded,
    OrderStarted,
    OrderStatus,
    Pause,
    Payment,
    PaymentReceived,
    Proration,
    ProrationPolicy,
    Refund,
    Retainer,
    RetainerCancelled,
    RetainerFeeChanged,
    RetainerHoursRecorded,
    RetainerPaused,
    RetainerResumed,
    RetainerStarted,
    RetainerStatus,
    RetainerTerms,
    annual_recurring_revenue,
    average_revenue_per_account,
    bill_next,
    bill_retainer,
    credit_note_for_refund,
    end_retainer_on_lapse,
    gross_revenue_retention,
    invoice_for_order,
    issue_documents,
    local_billing_date,
    local_midnight,
    logo_churn_rate,
    monthly_recurring_revenue,
    mrr_by_account,
    mrr_movements,
    net_revenue_retention,
    next_billing_date,
    next_due_period,
    period_due_on,
    period_key,
    purchase_revenue,
    purchase_revenue_by_period,
    retainer_mrr,
    revenue_churn_rate,
    revenue_per_account,
    start_retainer_for,
)
from relationship_core._domain.actor import Actor, ActorKind
from relationship_core._domain.business import (
    DEFAULT_BUSINESS,
    Business,
    NumberingScheme,
    WorkingCalendar,
)
from relationship_core._domain.clock import Clock, ManualClock, SystemClock
from relationship_core._domain.currency import Currency
from relationship_core._domain.custom_fields import (
    CustomFieldDefinition,
    CustomFieldSchema,
    FieldType,
)
from relationship_core._domain.engagements import (
    Channel,
    ClientLapsed,
    CustomerPromoted,
    Direction,
    Engagement,
    EngagementKind,
    EngagementStarted,
    Interaction,
    InteractionLogged,
    KindChange,
    last_contact,
)
from relationship_core._domain.events import (
    EVENT_TYPES,
    DomainEvent,
    UnknownEvent,
    register_event,
)
from relationship_core._domain.ids import IdGenerator, new_id
from relationship_core._domain.money import Money, Rounding
from relationship_core._domain.parties import (
    ContactRole,
    EmailAddress,
    Organisation,
    Party,
    PartyKind,
    Person,
)
from relationship_core._lifecycle import (
    DEFAULT_LIFECYCLE,
    DEFAULT_PIPELINE,
    EngagementEnded,
    Lifecycle,
    LifecycleStageChanged,
    LifecycleView,
    Opportunity,
    PartyLifecycle,
    Period,
    PipelineForecast,
    StageMove,
    weighted_pipeline,
)
from relationship_core._lifecycle import Pipeline as DealPipeline
from relationship_core._lifecycle.service import LifecycleService
from relationship_core._plugins.specs import EventHandlerSpec, JobHandlerSpec
from relationship_core._scoring import ScoreSnapshot, ScoringModel, load_model
from relationship_core._scoring.service import ScoringService
from relationship_core._scoring.stored import PartyScore, ScoreCrossed
from relationship_core._support import FormSubmission, SlaPolicy, Survey, Ticket
from relationship_core._support.inbound import MailIntake, MailOutcome
from relationship_core._support.portal import (
    ClientView,
    SharedTask,
    client_view,
    portal_view,
)
from relationship_core._support.public_holidays import public_holidays
from relationship_core._support.receiver import MailReceiver
from relationship_core._support.service import SupportService
from relationship_core._version import __version__
from relationship_core._work import (
    Assignee,
    Comment,
    RecurrenceSeries,
    RequirementDocument,
    Task,
    Workflow,
)
from relationship_core._work.service import WorkService

__all__ = [
    "__version__",
    # the facade
    "open",
    "migrate",
    "CRM",
    "UnitOfWork",
    "Repository",
    "Results",
    "EngagementRepository",
    "PartyRepository",
    "EmailKeyReport",
    "duplicate_emails",
    "enable_unique_emails",
    "InteractionRepository",
    "EventLog",
    "JobQueue",
    "Runner",
    "Backoff",
    "RetryAfter",
    "JobResult",
    "Schedule",
    "Schedules",
    "Consumer",
    "KindMapping",
    "MappingRegistry",
    "register_mapping",
    # the event bus, envelope and actors
    "EventBus",
    "EventHandlerSpec",
    "JobHandlerSpec",
    "Envelope",
    "LoggedEvent",
    "Actor",
    "ActorKind",
    "BillingService",
    "BillingRun",
    "BillingFailure",
    "BillingInterruptedError",
    "Business",
    "DEFAULT_BUSINESS",
    "NumberingScheme",
    "WorkingCalendar",
    # money
    "Currency",
    "Money",
    "Rounding",
    # time and ids
    "Clock",
    "IdGenerator",
    "ManualClock",
    "SystemClock",
    "new_id",
    # parties
    "ContactRole",
    "EmailAddress",
    "Organisation",
    "Party",
    "PartyKind",
    "Person",
    "CustomFieldDefinition",
    "CustomFieldSchema",
    "FieldType",
    # engagements
    "Channel",
    "Direction",
    "Engagement",
    "EngagementKind",
    "Interaction",
    "KindChange",
    "last_contact",
    # events
    "DomainEvent",
    "UnknownEvent",
    "EVENT_TYPES",
    "register_event",
    "EngagementStarted",
    "CustomerPromoted",
    "ClientLapsed",
    "InteractionLogged",
    # billing: retainers, orders, invoices, metrics
    "BillingCycle",
    "BillingPeriod",
    "BillingSchedule",
    "CycleUnit",
    "local_billing_date",
    "local_midnight",
    "ACTUAL_DAYS",
    "THIRTY_360",
    "Proration",
    "ProrationPolicy",
    "BillingTiming",
    "FeeChange",
    "HoursBank",
    "HoursLot",
    "HoursPolicy",
    "Pause",
    "Retainer",
    "RetainerStatus",
    "RetainerTerms",
    "end_retainer_on_lapse",
    "start_retainer_for",
    "CreditNote",
    "CreditNoteStatus",
    "INVOICE_TRANSITIONS",
    "Invoice",
    "InvoiceNumberSequence",
    "InvoiceSource",
    "InvoiceStatus",
    "LineItem",
    "LineKind",
    "ORDER_TRANSITIONS",
    "Order",
    "OrderStatus",
    "Payment",
    "Refund",
    "BillingStep",
    "bill_next",
    "bill_retainer",
    "credit_note_for_refund",
    "invoice_for_order",
    "issue_documents",
    "next_billing_date",
    "next_due_period",
    "period_due_on",
    "period_key",
    "MrrMovements",
    "annual_recurring_revenue",
    "average_revenue_per_account",
    "gross_revenue_retention",
    "logo_churn_rate",
    "monthly_recurring_revenue",
    "mrr_by_account",
    "mrr_movements",
    "net_revenue_retention",
    "purchase_revenue",
    "purchase_revenue_by_period",
    "retainer_mrr",
    "revenue_churn_rate",
    "revenue_per_account",
    "CreditNoteIssued",
    "InvoiceIssued",
    "InvoicePaid",
    "InvoiceVoided",
    "OrderAssigned",
    "OrderCancelled",
    "OrderFulfilled",
    "OrderInvoiced",
    "OrderPaid",
    "OrderPlaced",
    "OrderRefunded",
    "OrderStarted",
    "PaymentReceived",
    "RetainerCancelled",
    "RetainerFeeChanged",
    "RetainerHoursRecorded",
    "RetainerPaused",
    "RetainerResumed",
    "RetainerStarted",
    # lifecycle and the deal pipeline
    "DEFAULT_LIFECYCLE",
    "DEFAULT_PIPELINE",
    "DealPipeline",
    "EngagementEnded",
    "Lifecycle",
    "LifecycleService",
    "LifecycleStageChanged",
    "LifecycleView",
    "Opportunity",
    "PartyLifecycle",
    "Period",
    "PipelineForecast",
    "StageMove",
    "weighted_pipeline",
    # scoring
    "PartyScore",
    "ScoreCrossed",
    "ScoreSnapshot",
    "ScoringModel",
    "ScoringService",
    "load_model",
    # work and support
    "FormSubmission",
    "SlaPolicy",
    "Survey",
    "Ticket",
    "ClientView",
    "SharedTask",
    "client_view",
    "portal_view",
    "SupportService",
    "MailIntake",
    "MailOutcome",
    "MailReceiver",
    "public_holidays",
    "Assignee",
    "Comment",
    "RecurrenceSeries",
    "RequirementDocument",
    "Task",
    "Workflow",
    "WorkService",
]


def __getattr__(name: str) -> tuple[EventHandlerSpec, ...]:
    """Deprecated names, each warning once used."""
    if name == "LIFECYCLE_HANDLERS":
        from relationship_core._lifecycle import reactions

        return reactions.LIFECYCLE_HANDLERS
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
