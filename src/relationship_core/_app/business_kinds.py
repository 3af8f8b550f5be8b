"""The ``business`` kind, and the upgrade that gives older billing records a business.

The billing feature plugin contributes the kind (``relationship_core_kinds``);
nothing is registered by importing this module. Billing records written before businesses existed (layout
1) are read as records of `DEFAULT_BUSINESS`, except number sequences, whose
id (``"<business>:invoices"``) names their business already;
``relationship-core migrate`` rewrites them at layout 2 and indexes the key.
"""

from __future__ import annotations

from typing import Any

from relationship_core._app.mapping import KindMapping
from relationship_core._domain.business import DEFAULT_BUSINESS, Business

__all__ = ["BUSINESSES", "with_business", "with_sequence_business"]

BUSINESSES: KindMapping[Business] = KindMapping(
    "business",
    Business,
    indexed={"name": ("str", lambda b: b.name)},
    id_of=lambda b: b.key,
)


def with_business(data: dict[str, Any]) -> dict[str, Any]:
    """Layout 1 -> 2 of a retainer, order, invoice or credit note: the default business."""
    return {**data, "business": data.get("business", DEFAULT_BUSINESS)}


def with_sequence_business(data: dict[str, Any]) -> dict[str, Any]:
    """Layout 1 -> 2 of a number sequence: the business its id names (``"acme:invoices"``)."""
    key, sep, _ = str(data.get("id", "")).rpartition(":")
    return {**data, "business": data.get("business", key if sep and key else DEFAULT_BUSINESS)}
