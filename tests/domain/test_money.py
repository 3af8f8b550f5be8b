"""Money: exact amounts, one currency at a time, allocation that loses no cent."""

from __future__ import annotations

import decimal
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relationship_core import Currency, Money, Rounding
from relationship_core.exceptions import CurrencyMismatchError, ValidationError
from relationship_core.testing import strategies as rcst

ratios = st.lists(
    st.decimals(min_value=0, max_value=10**6, places=3, allow_nan=False, allow_infinity=False),
    min_size=1,
    max_size=30,
).filter(lambda rs: sum(rs) > 0)


def test_minor_units_per_currency() -> None:
    assert Currency.of("JPY").minor_units == 0
    assert Currency.of("usd").minor_units == 2
    assert Currency.of("KWD").minor_units == 3
    assert Money("1.005", "KWD").is_rounded
    assert not Money("1.005", "USD").is_rounded


def test_float_is_refused_but_can_be_made_explicit() -> None:
    with pytest.raises(ValidationError) as info:
        Money(19.99, "USD")
    assert info.value.field == "amount"
    assert info.value.value == 19.99
    assert Money.from_float(0.1, "USD") == Money("0.1", "USD")


@pytest.mark.parametrize(
    ("amount", "currency", "field"),
    [
        ("abc", "USD", "amount"),
        ("NaN", "USD", "amount"),
        ("1", "XYZ", "currency"),
        ("1", 5, "currency"),
    ],
)
def test_bad_input_names_field_and_value(amount: object, currency: object, field: str) -> None:
    with pytest.raises(ValidationError) as info:
        Money(amount, currency)
    assert info.value.field == field
    assert info.value.value in (amount, currency)
    assert repr(info.value.value) in str(info.value)


def test_rounding_modes_are_named() -> None:
    assert Money("2.345", "USD").round(Rounding.HALF_UP) == Money("2.35", "USD")
    assert Money("2.345", "USD").round(Rounding.HALF_EVEN) == Money("2.34", "USD")
    assert Money("2.341", "USD").round(Rounding.CEILING) == Money("2.35", "USD")
    assert Money("-2.349", "USD").round(Rounding.DOWN) == Money("-2.34", "USD")
    assert Money("1.5", "JPY").round(Rounding.HALF_EVEN) == Money("2", "JPY")


def test_allocation_worked_example() -> None:
    parts = Money("100.00", "USD").allocate([1, 1, 1])
    assert parts == (Money("33.34", "USD"), Money("33.33", "USD"), Money("33.33", "USD"))
    assert Money("10", "JPY").allocate([70, 20, 10]) == (
        Money("7", "JPY"),
        Money("2", "JPY"),
        Money("1", "JPY"),
    )
    assert Money("0.05", "USD").allocate([3, 7]) == (Money("0.02", "USD"), Money("0.03", "USD"))


def test_allocation_refuses_unrounded_and_bad_ratios() -> None:
    with pytest.raises(ValidationError, match="round"):
        Money("1.001", "USD").allocate([1, 1])
    with pytest.raises(ValidationError) as info:
        Money("1", "USD").allocate([1, -1])
    assert info.value.field == "ratios[1]"
    with pytest.raises(ValidationError):
        Money("1", "USD").allocate([0, 0])
    with pytest.raises(ValidationError):
        Money("1", "USD").split(0)


@given(rcst.money(), ratios)
def test_allocation_sums_exactly_for_any_currency_and_ratios(
    amount: Money, weights: list[Decimal]
) -> None:
    parts = amount.allocate(weights)
    assert len(parts) == len(weights)
    assert sum(parts, Money.zero(amount.currency)) == amount
    assert all(p.currency == amount.currency and p.is_rounded for p in parts)
    # each part is within one minor unit of its exact share
    unit = Money.from_minor(1, amount.currency).amount
    total_weight = sum(weights)
    for part, weight in zip(parts, weights, strict=True):
        assert abs(part.amount - amount.amount * weight / total_weight) < unit
        if weight == 0:
            assert part.amount == 0


@given(rcst.money(), st.integers(min_value=1, max_value=50))
def test_split_parts_differ_by_at_most_one_minor_unit(amount: Money, n: int) -> None:
    parts = amount.split(n)
    assert sum(parts) == amount
    minors = [p.minor_units for p in parts]
    assert max(minors) - min(minors) <= 1


@given(rcst.money(), rcst.money())
def test_arithmetic_never_mixes_currencies(a: Money, b: Money) -> None:
    if a.currency == b.currency:
        assert (a + b) - b == a
        assert (a + b).currency == a.currency
        assert (a < b) == (a.amount < b.amount)
    else:
        for operation in (
            lambda: a + b,
            lambda: a - b,
            lambda: a < b,
            lambda: a >= b,
            lambda: sum([a, b]),
        ):
            with pytest.raises(CurrencyMismatchError) as info:
                operation()
            assert isinstance(info.value, ValueError)
            assert {info.value.left, info.value.right} == {a.currency.code, b.currency.code}


@given(st.lists(rcst.money("EUR"), max_size=20))
def test_sum_is_exact(amounts: list[Money]) -> None:
    expected = sum((m.amount for m in amounts), Decimal(0))
    assert sum(amounts, Money.zero("EUR")).amount == expected
    if amounts:
        assert sum(amounts).amount == expected  # type: ignore[union-attr]


def test_multiplication_and_division_stay_decimal() -> None:
    assert Money("10.00", "USD") * 3 == Money("30.00", "USD")
    assert Decimal("0.5") * Money("10.00", "USD") == Money("5.00", "USD")
    assert (Money("100.00", "USD") / 3).round() == Money("33.33", "USD")
    with pytest.raises(ValidationError):
        Money("1", "USD") * 1.5
    with pytest.raises(ValidationError):
        Money("1", "USD") / 0


@given(rcst.money(rounded=False))
def test_round_trips_through_dict(amount: Money) -> None:
    assert Money.from_dict(amount.to_dict()) == amount
    assert str(Money.from_dict(amount.to_dict()).amount) == str(amount.amount)


@given(rcst.money())
def test_minor_units_round_trip(amount: Money) -> None:
    assert Money.from_minor(amount.minor_units, amount.currency) == amount


def test_text_forms() -> None:
    assert str(Money("19.99", "USD")) == "19.99 USD"
    assert repr(Money("19.99", "USD")) == "Money('19.99', 'USD')"
    assert f"{Money('1234.5', 'USD'):,.2f}" == "1,234.50 USD"
    assert not Money.zero("USD")
    assert abs(Money("-1", "USD")) == Money("1", "USD")


# -- bounds: amounts below 10**18 with at most 28 decimal places ------------------


@pytest.mark.parametrize(
    "amount", ["1e999", "-1e18", "1000000000000000000", "1e-29", Decimal("1E+18"), 10**19]
)
def test_amounts_out_of_bounds_are_refused_at_construction(amount: object) -> None:
    with pytest.raises(ValidationError) as info:
        Money(amount, "USD")
    assert info.value.field == "amount"
    assert info.value.value == amount


def test_the_bounds_themselves_are_accepted() -> None:
    assert Money("999999999999999999.99", "USD").round().minor_units == 10**20 - 1
    assert Money("0." + "0" * 27 + "1", "USD").amount == Decimal("1e-28")
    # Trailing zeros past the places are dropped, not refused: the value is the same.
    assert Money("1." + "0" * 40, "USD") == Money("1", "USD")


def test_sums_beyond_28_digits_are_exact() -> None:
    big, tiny = Money("12345678901234567.89", "USD"), Money("0.000000000001", "USD")
    assert (big + tiny).amount == Decimal("12345678901234567.890000000001")
    assert (big - tiny).amount == Decimal("12345678901234567.889999999999")


@pytest.mark.parametrize(
    "operation",
    [
        lambda: Money("999999999999999999", "USD") + Money("1", "USD"),
        lambda: Money("-999999999999999999", "USD") - Money("1", "USD"),
        lambda: Money("999999999999999999.999", "USD").round(),
        lambda: Money("1", "USD") * Decimal("NaN"),
        lambda: Money("1", "USD") * Decimal("Infinity"),
        lambda: Money("1", "USD") * 10**18,
        lambda: Money("1", "USD") * Decimal("1e999999999"),
        lambda: Money("1", "USD") / Decimal("Infinity"),
        lambda: Money("1", "USD") / Decimal("NaN"),
        lambda: Money("1", "USD") / Decimal("1e-30"),
        lambda: Money.from_minor(10**20, "USD"),
        lambda: Money.from_float(1e300, "USD"),
        lambda: Money("1", "USD").split(10**9),
    ],
)
def test_results_out_of_bounds_are_validation_errors(operation: Any) -> None:
    with pytest.raises(ValidationError):
        operation()


@settings(max_examples=200)
@given(
    rcst.money("USD", rounded=False),
    st.decimals(min_value=-1000, max_value=1000, places=6, allow_nan=False, allow_infinity=False),
)
def test_products_and_quotients_of_normal_amounts_are_unchanged(m: Money, d: Decimal) -> None:
    """Normal amounts give what the default decimal context always gave."""
    with decimal.localcontext(decimal.Context()):
        expected = m.amount * d  # 28 significant digits, half even, then at most 28 places
        if expected.as_tuple().exponent < -28:  # type: ignore[operator]
            expected = expected.quantize(Decimal("1e-28"), context=decimal.Context(prec=60))
        assert (m * d).amount == expected
        if abs(d) >= Decimal("0.001"):
            assert (m / d).round() == Money._make(m.amount / d, m.currency).round()


def test_a_global_context_does_not_change_results() -> None:
    with decimal.localcontext() as ctx:
        ctx.prec = 3
        ctx.traps[decimal.Inexact] = True
        assert (Money("123456.78", "USD") + Money("0.01", "USD")).amount == Decimal("123456.79")
        assert Money("123456.785", "USD").round() == Money("123456.78", "USD")
        assert -Money("123456.78", "USD") == Money("-123456.78", "USD")
        assert Money("10.00", "USD") / 4 == Money("2.5", "USD")


def test_bad_rounding_and_format_spec_are_validation_errors() -> None:
    with pytest.raises(ValidationError):
        Money("1", "USD").round("HALF_UP")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        format(Money("1", "USD"), "zz")
