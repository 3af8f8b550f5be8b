"""Clocks are injected; ids sort by creation time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relationship_core import IdGenerator, ManualClock, SystemClock
from relationship_core.exceptions import ValidationError


def test_manual_clock_moves_only_forward() -> None:
    clock = ManualClock(datetime(2026, 1, 1, tzinfo=UTC))
    assert clock.advance(timedelta(hours=1)) == datetime(2026, 1, 1, 1, tzinfo=UTC)
    with pytest.raises(ValidationError):
        clock.advance(timedelta(seconds=-1))
    with pytest.raises(ValidationError):
        clock.set(datetime(2025, 1, 1, tzinfo=UTC))
    with pytest.raises(ValidationError, match="naive"):
        ManualClock(datetime(2026, 1, 1))  # noqa: DTZ001


def test_system_clock_is_aware_utc() -> None:
    now = SystemClock().now()
    assert now.tzinfo is UTC


@given(st.lists(st.integers(min_value=0, max_value=10**6), min_size=2, max_size=50))
def test_ids_sort_by_creation_time(steps: list[int]) -> None:
    clock = ManualClock(datetime(2026, 1, 1, tzinfo=UTC))
    make = IdGenerator(clock)
    ids = []
    for step in steps:
        clock.advance(timedelta(milliseconds=step))
        ids.append(make())
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    assert all(len(i) == 26 for i in ids)


def test_ids_from_a_standing_clock_still_increase() -> None:
    make = IdGenerator(ManualClock(datetime(2026, 1, 1, tzinfo=UTC)))
    ids = [make() for _ in range(1000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == 1000


@given(st.integers(min_value=0, max_value=2**130 - 1))
def test_the_id_encoding_is_crockford_base32_of_26_digits(value: int) -> None:
    from relationship_core._domain.ids import _CROCKFORD, _encode

    text = _encode(value)
    assert len(text) == 26
    assert sum(_CROCKFORD.index(c) << (5 * (25 - i)) for i, c in enumerate(text)) == value
