"""Customer lifetime value over one explicit horizon.

A `Horizon` says how far to look (length and unit) and how to discount
(rate per period of that unit, compounded per period or continuously; no
discounting unless asked). Nothing has a default unit: the models are fitted in
the data's own time unit, which the summary records (or the caller states), and
the horizon is converted into it.
"""

from __future__ import annotations

import math
from typing import Literal, Protocol, overload

import attrs
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from relationship_core.analytics._models._base import FloatArray, as_float_array, read_rfm
from relationship_core.analytics._models.gammagamma import GammaGammaModel
from relationship_core.analytics._models.sbg import ShiftedBetaGeometricModel
from relationship_core.analytics._summary_info import resolve_unit
from relationship_core.exceptions import ValidationError

__all__ = [
    "Horizon",
    "HorizonUnit",
    "Discounting",
    "customer_lifetime_value",
    "expected_spend",
    "retainer_residual_value",
]

HorizonUnit = Literal["day", "week", "month", "year"]
Discounting = Literal["per_period", "continuous"]

#: Length of each unit in days (a month is a twelfth of a Julian year).
UNIT_DAYS: dict[str, float] = {"day": 1.0, "week": 7.0, "month": 365.25 / 12, "year": 365.25}


def _unit_name(value: object) -> str:
    """Accept ``"week"`` or an enum member whose value is ``"week"`` (e.g. ``TimeUnit.WEEK``)."""
    name = getattr(value, "value", value)
    return name if isinstance(name, str) else repr(value)


def _check_unit(field: str, value: object) -> str:
    name = _unit_name(value)
    if name not in UNIT_DAYS:
        raise ValidationError(field, value, f"use one of {', '.join(UNIT_DAYS)}")
    return name


def _validate_unit(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    _check_unit(attribute.name, value)


def _validate_length(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not (math.isfinite(value) and value > 0):
        raise ValidationError(attribute.name, value, "the horizon length must be a number > 0")


def _validate_rate(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not (math.isfinite(value) and value >= 0):
        raise ValidationError(attribute.name, value, "the discount rate must be >= 0 (0.01 = 1%)")


def _validate_discounting(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if value not in ("per_period", "continuous"):
        raise ValidationError(attribute.name, value, "use 'per_period' or 'continuous'")


@attrs.frozen
class Horizon:
    """How far ahead to value customers, and how to discount.

    Length and unit are required (a horizon of "12" means nothing without a
    unit) and may be positional: ``Horizon(12, "month")`` is twelve months,
    undiscounted (the expected revenue of the next year). The discount terms
    are keyword-only, so they are never swapped with the length, and the rate
    is per one *unit* of the horizon.

    Attributes:
        length: Number of units to look ahead, > 0 (may be fractional).
        unit: ``"day"``, ``"week"``, ``"month"`` (365.25 / 12 days) or ``"year"``
            (a ``TimeUnit`` member is accepted too).
        discount_rate: Rate per one *unit*, e.g. 0.01 for 1% a month; default
            0 (no discounting).
        discounting: ``"per_period"`` (default, the textbook CLV formula):
            cash at time ``k`` units is worth ``(1 + rate) ** -k``;
            ``"continuous"``: ``exp(-rate * k)``.

    Example:
        >>> h = Horizon(length=12, unit="month", discount_rate=0.01, discounting="per_period")
        >>> round(h.in_units("week"), 4)
        52.1786
        >>> round(float(h.discount_factor(12)), 4)
        0.8874
        >>> Horizon(12, "month", discount_rate=0.01) == h
        True
        >>> Horizon(12, "month")
        Horizon(length=12.0, unit='month', discount_rate=0.0, discounting='per_period')
    """

    length: float = attrs.field(converter=float, validator=_validate_length)
    unit: HorizonUnit = attrs.field(converter=_unit_name, validator=_validate_unit)
    # length and unit may be positional (``Horizon(12, "month")``); the
    # discounting terms are keyword-only so that they are never swapped.
    discount_rate: float = attrs.field(
        default=0.0, converter=float, validator=_validate_rate, kw_only=True
    )
    discounting: Discounting = attrs.field(
        default="per_period", validator=_validate_discounting, kw_only=True
    )

    def in_units(self, unit: HorizonUnit | object) -> float:
        """The horizon's length expressed in another unit."""
        name = _check_unit("unit", unit)
        return self.length * UNIT_DAYS[self.unit] / UNIT_DAYS[name]

    def discount_factor(self, k: ArrayLike) -> FloatArray:
        """Present value of 1 received *k* horizon units from now."""
        kk = np.asarray(k, dtype=np.float64)
        if self.discounting == "continuous":
            return np.asarray(np.exp(-self.discount_rate * kk), dtype=np.float64)
        return np.asarray(np.exp(-kk * np.log1p(self.discount_rate)), dtype=np.float64)

    def steps(self) -> FloatArray:
        """End of each period in horizon units: 1, 2, ..., with a last partial one."""
        whole = math.floor(self.length)
        ends = np.arange(1, whole + 1, dtype=np.float64)
        if self.length > whole:
            ends = np.append(ends, self.length)
        return ends


class ConditionalTransactionModel(Protocol):
    """Anything with the conditional expected-purchases method of the BTYD models."""

    def expected_purchases(
        self,
        t: ArrayLike,
        frequency: ArrayLike,
        recency: ArrayLike,
        T: ArrayLike,  # noqa: N803
    ) -> FloatArray:
        """Expected purchases in ``(T, T + t]``."""
        ...


def expected_spend(
    spend_model: GammaGammaModel, frequency: ArrayLike, monetary_value: ArrayLike
) -> FloatArray:
    """Expected spend per future transaction (Gamma-Gamma conditional expectation)."""
    return spend_model.conditional_expected_average_spend(frequency, monetary_value)


@overload
def customer_lifetime_value(
    transaction_model: ConditionalTransactionModel,
    spend_model: GammaGammaModel,
    summary: pd.DataFrame,
    horizon: Horizon,
    *,
    data_unit: HorizonUnit | object | None = None,
    as_frame: Literal[False] = False,
) -> pd.Series: ...


@overload
def customer_lifetime_value(
    transaction_model: ConditionalTransactionModel,
    spend_model: GammaGammaModel,
    summary: pd.DataFrame,
    horizon: Horizon,
    *,
    data_unit: HorizonUnit | object | None = None,
    as_frame: Literal[True],
) -> pd.DataFrame: ...


def customer_lifetime_value(
    transaction_model: ConditionalTransactionModel,
    spend_model: GammaGammaModel,
    summary: pd.DataFrame,
    horizon: Horizon,
    *,
    data_unit: HorizonUnit | object | None = None,
    as_frame: bool = False,
) -> pd.Series | pd.DataFrame:
    """Discounted expected value of each customer's purchases over *horizon*.

    The horizon is cut into its periods (the last may be partial); the expected
    purchases in each period (conditional on the customer's history) times the
    expected spend per purchase is discounted from the period's end.

    Args:
        transaction_model: A fitted BG/NBD, Pareto/NBD or modified BG/NBD model.
        spend_model: A fitted Gamma-Gamma model.
        summary: ``frequency``, ``recency``, ``T`` and ``monetary_value`` per
            customer, as built by `customer_summary` (which records its time
            unit in ``summary.attrs``).
        horizon: How far ahead and how to discount.
        data_unit: The time unit of ``recency`` and ``T`` (the one the model was
            fitted in). Read from the summary when it records one; needed only
            for a summary that does not (built by hand, or merged: pandas drops
            ``attrs`` on ``merge``). A unit contradicting the recorded one is
            refused.
        as_frame: Return a DataFrame with the inputs beside the value
            (``frequency``, ``recency``, ``T``, ``monetary_value``,
            ``expected_purchases`` over the horizon undiscounted,
            ``expected_spend`` per purchase and ``clv``) instead of a Series.

    Returns:
        CLV per customer, a Series indexed like *summary* and named ``"clv"``
        (or the DataFrame described under *as_frame*).

    Raises:
        ValidationError: A column is missing, or the unit is missing, unknown,
            contradicts the one the summary records, or differs from the one
            the transaction model was fitted in (``time_unit_``).
    """
    if not isinstance(summary, pd.DataFrame):
        raise ValidationError("summary", type(summary).__name__, "expected a pandas DataFrame")
    unit_name = resolve_unit(summary, data_unit, field="data_unit")
    fitted_in = getattr(transaction_model, "time_unit_", None)
    if isinstance(fitted_in, str) and fitted_in != unit_name:
        raise ValidationError(
            "data_unit",
            unit_name,
            f"the transaction model was fitted on a summary in {fitted_in}s, so it predicts "
            f"in {fitted_in}s; value a summary built with time_unit={fitted_in!r}",
        )
    for column in ("frequency", "recency", "T", "monetary_value"):
        if column not in summary.columns:
            raise ValidationError(column, list(summary.columns), f"the summary needs {column!r}")
    x, t, big_t = read_rfm(summary["frequency"], summary["recency"], summary["T"])
    monetary = as_float_array(summary["monetary_value"], "monetary_value")
    spend = expected_spend(spend_model, x, monetary)
    scale = UNIT_DAYS[horizon.unit] / UNIT_DAYS[unit_name]
    value = np.zeros(len(x))
    previous = np.zeros(len(x))
    # The library's models split E[purchases] = P(alive) x E[purchases | alive]; use the
    # split when offered so P(alive) is computed once, not once per period.
    if_alive = getattr(transaction_model, "_expected_if_alive", None)
    if if_alive is not None and hasattr(transaction_model, "probability_alive"):
        alive = transaction_model.probability_alive(x, t, big_t)
    for end in horizon.steps():
        if if_alive is not None:
            cumulative = if_alive(np.array([end * scale]), x, big_t) * alive
        else:
            cumulative = transaction_model.expected_purchases(end * scale, x, t, big_t)
        value += (cumulative - previous) * horizon.discount_factor(end)
        previous = cumulative
    clv = pd.Series(value * spend, index=summary.index, name="clv")
    if not as_frame:
        return clv
    frame = pd.DataFrame(
        {
            "frequency": summary["frequency"],
            "recency": summary["recency"],
            "T": summary["T"],
            "monetary_value": summary["monetary_value"],
            "expected_purchases": previous,
            "expected_spend": spend,
            "clv": clv,
        },
        index=summary.index,
    )
    frame.attrs.update(summary.attrs)  # still a summary in the same unit
    return frame


def retainer_residual_value(
    model: ShiftedBetaGeometricModel,
    *,
    payment_per_period: float,
    discount_rate: float,
    renewals: ArrayLike = 0,
) -> FloatArray:
    """Expected discounted value of a retainer's remaining payments: payment x DERL.

    Args:
        model: A fitted sBG model, in contract periods.
        payment_per_period: Amount paid at each renewal (a float in the analysis
            currency; convert Money with ``float(money.amount)``).
        discount_rate: Discount rate per contract period, > 0.
        renewals: Renewals each client has made so far.

    Returns:
        Residual value per client.
    """
    if not math.isfinite(payment_per_period) or payment_per_period < 0:
        raise ValidationError("payment_per_period", payment_per_period, "use an amount >= 0")
    return payment_per_period * model.derl(discount_rate, renewals)
