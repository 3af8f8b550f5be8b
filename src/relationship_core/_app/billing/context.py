"""What every billing command shares: the store, the business, the clock, and retries.

A `BillingContext` is built once by `BillingService` (which stores the
business on first use) and handed to the command services of each aggregate.
Its values were checked there, so the commands trust them.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import attrs

from relationship_core._app.facade import CRM
from relationship_core._app.uow import UnitOfWork
from relationship_core._billing.invoices import CreditNote, Invoice
from relationship_core._billing.numbering import InvoiceNumberSequence
from relationship_core._billing.orders import Order
from relationship_core._billing.retainer import Retainer
from relationship_core._domain.business import DEFAULT_BUSINESS, Business
from relationship_core._domain.clock import Clock
from relationship_core.exceptions import ConflictError, ValidationError

__all__ = ["BillingContext", "credit_note_numbers", "invoice_numbers"]

T = TypeVar("T")
R = TypeVar("R")
B = TypeVar("B", Retainer, Order, Invoice, CreditNote)


def _sequence(
    uow: UnitOfWork, business: Business, suffix: str, pattern: str
) -> InvoiceNumberSequence:
    repo = uow.repository(InvoiceNumberSequence)
    sequence_id = f"{business.key}:{suffix}"
    found = repo.find(sequence_id)
    if found is None:  # the first document of this business: two creators conflict
        found = InvoiceNumberSequence(
            sequence_id,
            prefix=pattern.partition("{")[0].rstrip("-") or suffix,
            yearly="{year" in pattern,
            business=business.key,
            pattern=pattern,
        )
        repo.add(found)
    return found


def invoice_numbers(uow: UnitOfWork, business: Business) -> InvoiceNumberSequence:
    """*business*'s invoice sequence, read (or started) in *uow*."""
    return _sequence(uow, business, "invoices", business.numbering.invoices)


def credit_note_numbers(uow: UnitOfWork, business: Business) -> InvoiceNumberSequence:
    """*business*'s credit-note sequence, read (or started) in *uow*."""
    return _sequence(uow, business, "credit-notes", business.numbering.credit_notes)


@attrs.frozen
class BillingContext:
    """One business's billing on one store.

    Attributes:
        crm: The open store.
        business: The business record, as stored.
        clock: Where "now" comes from.
        max_attempts: Units of work tried when another writer keeps winning.
        payment_terms_days: Payment terms of the orders placed.
    """

    crm: CRM
    business: Business
    clock: Clock
    max_attempts: int = 5
    payment_terms_days: int = 0

    @property
    def key(self) -> str:
        """The business's key."""
        return self.business.key

    @property
    def time_zone(self) -> ZoneInfo:
        """The business's zone: orders are invoiced and documents numbered by its date."""
        return self.business.time_zone

    def now(self) -> datetime:
        """Now, from the clock."""
        return self.clock.now()

    def today(self, at: datetime) -> date:
        """The business's date at *at*."""
        return at.astimezone(self.time_zone).date()

    def attempt(self, work: Callable[[UnitOfWork], T]) -> tuple[T, int]:
        """Run *work* in a unit of work, retrying on conflicts; ``(result, retries)``."""
        return self.attempt_then(work, lambda _uow, result: result)

    def attempt_then(
        self, work: Callable[[UnitOfWork], T], then: Callable[[UnitOfWork, T], R]
    ) -> tuple[R, int]:
        """Like `attempt`; *then* reads the result once the handlers ran and it committed."""
        for attempt in range(1, self.max_attempts + 1):
            try:
                with self.crm.unit_of_work() as uow:
                    result = work(uow)
                return then(uow, result), attempt - 1
            except ConflictError:
                if attempt == self.max_attempts:
                    raise
                # Back off a little, with jitter, so racing workers fall out of step.
                time.sleep(random.uniform(0, 0.002 * attempt))  # noqa: S311 - not crypto
        raise AssertionError("unreachable")  # pragma: no cover

    def own(self, kind: str, obj: B) -> B:
        """*obj* if it belongs to this business; else ``ValidationError`` saying whose it is."""
        if obj.business != self.key:
            raise ValidationError(
                f"{kind}.business",
                obj.business,
                f"{kind} {obj.id!r} belongs to business {obj.business!r}, not "
                f"{self.key!r}; use that business's BillingService",
            )
        return obj

    def mine(self) -> tuple[str | None, ...]:
        """The ``business`` index values of this business's records.

        Records of the default business written before businesses existed
        have no value until ``relationship-core migrate`` indexes them.
        """
        return (self.key, None) if self.key == DEFAULT_BUSINESS else (self.key,)

    def change(self, cls: type[B], id: str, change: Callable[[B, datetime], Any]) -> B:
        """Load this business's *cls* *id*, apply *change* at now, commit (retrying)."""
        at = self.now()
        kind = self.crm.registry.for_class(cls).kind

        def work(uow: UnitOfWork) -> B:
            obj = self.own(kind, uow.repository(cls).get(id))
            change(obj, at)
            return obj

        return self.attempt(work)[0]
