"""The interface the holdout report and the plots need from a transaction model."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

__all__ = ["ArrayLike", "TransactionModel"]

ArrayLike = float | npt.ArrayLike


@runtime_checkable
class TransactionModel(Protocol):
    """A fitted per-purchase (buy-till-you-die) model, such as BG/NBD or Pareto/NBD.

    Times are in the unit the model was fitted in. Callers here pass scalars
    or one-dimensional arrays (which broadcast together) and read back a
    one-dimensional array.
    Any object with these methods works with `holdout_report` and the
    plots, so a model from another library can be wrapped in a few lines.
    """

    def expected_purchases(
        self,
        t: ArrayLike,
        frequency: ArrayLike,
        recency: ArrayLike,
        T: ArrayLike,  # noqa: N803 - the literature's name
    ) -> npt.NDArray[np.float64]:
        """Expected purchases in ``(T, T + t]`` of a customer with this history."""
        ...

    def expected_purchases_new(self, t: ArrayLike) -> npt.NDArray[np.float64] | float:
        """Expected purchases in ``(0, t]`` of a customer just acquired."""
        ...

    def probability_alive(
        self,
        frequency: ArrayLike,
        recency: ArrayLike,
        T: ArrayLike,  # noqa: N803 - the literature's name
    ) -> npt.NDArray[np.float64]:
        """Probability that a customer with this history is still active at ``T``."""
        ...

    def probability_of_purchases(self, n: ArrayLike, t: ArrayLike) -> npt.NDArray[np.float64]:
        """``P(X(t) = n)`` for a customer just acquired."""
        ...
