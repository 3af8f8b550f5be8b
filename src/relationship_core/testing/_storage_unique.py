"""Conformance tests of unique keys (`Write.keys`, capability ``unique_keys``).

Mixed into ``StorageBackendTests``; each test skips on a backend that does not
declare the capability.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from relationship_core._storage.contract import Delete, Write
from relationship_core._storage.protocols import StorageBackend
from relationship_core._storage.schema import KindSpec, Schema
from relationship_core.exceptions import (
    CapabilityError,
    ConflictError,
    UniqueKeyConflictError,
    ValidationError,
)

__all__ = ["CONTACT", "UniqueKeyTests", "contact"]

#: A kind with two unique keys: e-mail addresses and an external id.
CONTACT = KindSpec("contact", {"name": "str"}, unique=("email", "external_id"))
_SCHEMA = Schema([CONTACT])
_names = itertools.count()


def contact(rid: str, *emails: str, version: int | None = None, **keys: list[str]) -> Write:
    """A write of one ``contact`` claiming *emails* (test helper)."""
    return Write(
        "contact",
        rid,
        {},
        {"name": rid},
        expected_version=version,
        keys={"email": list(emails), **keys},
    )


class UniqueKeyTests:
    """Unique keys: normalised, released on rewrite and delete, rolled back with the transaction."""

    @pytest.fixture
    def contacts(self, make_backend: Any) -> Any:
        try:
            store = make_backend(_SCHEMA, f"unique{next(_names)}")
        except CapabilityError:
            pytest.skip("backend does not declare the 'unique_keys' capability")
        try:
            if "unique_keys" not in store.capabilities:
                pytest.skip("backend does not declare the 'unique_keys' capability")
            yield store
        finally:
            store.close()

    def test_second_claim_is_a_conflict_naming_key_value_and_holder(
        self, contacts: StorageBackend
    ) -> None:
        with contacts.transaction() as tx:
            tx.put_many([contact("c1", " Ann@Example.COM ")])
        with pytest.raises(UniqueKeyConflictError) as err, contacts.transaction() as tx:
            tx.put_many([contact("c2", "ann@example.com")])
        assert (err.value.key, err.value.value, err.value.holder) == (
            "email",
            "ann@example.com",
            "c1",
        )
        assert isinstance(err.value, ConflictError)
        assert contacts.get_many("contact", ["c2"]) == {}

    def test_rewrite_releases_values_no_longer_claimed(self, contacts: StorageBackend) -> None:
        with contacts.transaction() as tx:
            tx.put_many([contact("c1", "a@x.org", "b@x.org")])
        with contacts.transaction() as tx:
            tx.put_many([contact("c1", "b@x.org", version=1)])  # still holds b
            tx.put_many([contact("c2", "a@x.org")])
        with pytest.raises(UniqueKeyConflictError), contacts.transaction() as tx:
            tx.put_many([contact("c3", "B@x.org")])

    def test_delete_releases_every_claim(self, contacts: StorageBackend) -> None:
        with contacts.transaction() as tx:
            tx.put_many([contact("c1", "a@x.org", external_id=["crm-1"])])
        with contacts.transaction() as tx:
            tx.delete(Delete("contact", "c1", 1))
            tx.put_many([contact("c2", "a@x.org", external_id=["CRM-1"])])
        assert set(contacts.get_many("contact", ["c1", "c2"])) == {"c2"}

    def test_keys_are_independent_and_a_record_may_reclaim_its_own(
        self, contacts: StorageBackend
    ) -> None:
        with contacts.transaction() as tx:
            tx.put_many([contact("c1", "same", external_id=["x"])])
            tx.put_many([contact("c2", external_id=["same"])])
            tx.put_many([contact("c1", "same", version=1, external_id=["x"])])

    def test_rolled_back_claim_is_released(self, contacts: StorageBackend) -> None:
        with pytest.raises(RuntimeError), contacts.transaction() as tx:  # noqa: PT012 - the raise aborts the unit of work
            tx.put_many([contact("c1", "a@x.org")])
            raise RuntimeError("abort")
        with contacts.transaction() as tx:
            tx.put_many([contact("c2", "a@x.org")])

    def test_one_batch_claiming_a_value_twice_fails_whole(self, contacts: StorageBackend) -> None:
        with pytest.raises(UniqueKeyConflictError), contacts.transaction() as tx:
            tx.put_many([contact("c1", "a@x.org"), contact("c2", "A@X.org")])
        assert contacts.get_many("contact", ["c1", "c2"]) == {}

    @pytest.mark.parametrize(
        "keys",
        [{"phone": ["1"]}, {"email": "a@x.org"}, {"email": [""]}, {"email": [3]}, "email"],
    )
    def test_bad_keys_are_refused(self, contacts: StorageBackend, keys: Any) -> None:
        with pytest.raises(ValidationError), contacts.transaction() as tx:
            tx.put_many([Write("contact", "c1", {}, {"name": "n"}, keys=keys)])
