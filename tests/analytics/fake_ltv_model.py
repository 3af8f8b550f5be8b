"""A tiny closed-form model implementing the TransactionModel protocol, for tests.

It is the NBD model (gamma-mixed Poisson purchasing, nobody ever leaves), with
a made-up but bounded P(alive) so the matrices have something to show. It also
records the largest array it was asked to evaluate, to check memory bounds.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.special import gammaln

Array = npt.NDArray[np.float64]


class NBDModel:
    """E[X(t)] = r t / alpha; posterior rate (r + x) / (alpha + T)."""

    def __init__(self, r: float = 0.5, alpha: float = 10.0) -> None:
        self.r = r
        self.alpha = alpha
        self.largest_call = 0
        self.calls = 0

    def _seen(self, *arrays: object) -> None:
        self.calls += 1
        size = max(int(np.size(np.asarray(a))) for a in arrays)
        self.largest_call = max(self.largest_call, size)

    def expected_purchases(
        self,
        t: object,
        frequency: object,
        recency: object,
        T: object,  # noqa: N803
    ) -> Array:
        self._seen(t, frequency, recency, T)
        x = np.asarray(frequency, dtype=np.float64)
        age = np.asarray(T, dtype=np.float64)
        return np.asarray((self.r + x) / (self.alpha + age) * np.asarray(t, dtype=np.float64))

    def expected_purchases_new(self, t: object) -> Array:
        self._seen(t)
        return np.asarray(self.r * np.asarray(t, dtype=np.float64) / self.alpha)

    def probability_alive(
        self,
        frequency: object,
        recency: object,
        T: object,  # noqa: N803
    ) -> Array:
        self._seen(frequency, recency, T)
        x = np.asarray(frequency, dtype=np.float64)
        gap = np.asarray(T, dtype=np.float64) - np.asarray(recency, dtype=np.float64)
        return np.asarray(np.exp(-gap / (1.0 + x)))

    def probability_of_purchases(self, n: object, t: object) -> Array:
        self._seen(n, t)
        k = np.asarray(n, dtype=np.float64)
        time = np.asarray(t, dtype=np.float64)
        log_p = (
            gammaln(self.r + k)
            - gammaln(self.r)
            - gammaln(k + 1)
            + self.r * np.log(self.alpha / (self.alpha + time))
            + k * np.log(time / (self.alpha + time))
        )
        return np.asarray(np.exp(log_p))
