"""Probability-alive and frequency/recency matrices, on a bounded grid.

Computed chunk by chunk, so memory does not grow with the number of customers
or the largest frequency.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd

from relationship_core.analytics._plot_helpers import (
    _CHUNK_CELLS,
    _axes,
    _float_array,
    _positive_int,
)
from relationship_core.analytics._protocol import TransactionModel
from relationship_core.exceptions import ValidationError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "frequency_recency_matrix",
    "plot_frequency_recency_matrix",
    "plot_probability_alive_matrix",
    "probability_alive_matrix",
]

_MAX_GRID = 1000


def _grid(
    max_frequency: object,
    T: object,  # noqa: N803 - the literature's name
    grid_size: object,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    top = _positive_int("max_frequency", max_frequency)
    size = _positive_int("grid_size", grid_size, 2)
    if size > _MAX_GRID:
        raise ValidationError("grid_size", grid_size, f"at most {_MAX_GRID} (bounds memory)")
    if isinstance(T, bool) or not isinstance(T, int | float | np.number) or not T > 0:
        raise ValidationError("T", T, "expected a positive age, in the model's time unit")
    frequencies = np.unique(np.round(np.linspace(0, top, min(size, top + 1))).astype(np.int64))
    recencies = np.linspace(0.0, float(T), size)
    return frequencies, recencies


def _matrix(
    frequencies: npt.NDArray[np.int64],
    recencies: npt.NDArray[np.float64],
    evaluate: object,
) -> pd.DataFrame:
    values = np.full((len(frequencies), len(recencies)), np.nan)
    rows = max(1, _CHUNK_CELLS // len(recencies))
    for lo in range(0, len(frequencies), rows):
        f = frequencies[lo : lo + rows].astype(np.float64)[:, None]
        r = np.broadcast_to(recencies[None, :], (len(f), len(recencies)))
        f = np.broadcast_to(f, r.shape)
        valid = (f > 0) | (r == 0)  # no repeat purchase means recency 0
        out = _float_array(evaluate(f[valid], r[valid]))  # type: ignore[operator]
        block = values[lo : lo + rows]
        block[valid] = np.broadcast_to(out, (int(valid.sum()),))
    return pd.DataFrame(
        values,
        index=pd.Index(frequencies, name="frequency"),
        columns=pd.Index(recencies, name="recency"),
    )


def probability_alive_matrix(
    model: TransactionModel,
    *,
    max_frequency: int,
    T: float,  # noqa: N803 - the literature's name
    grid_size: int = 101,
) -> pd.DataFrame:
    """P(alive) over a frequency x recency grid, for customers of age ``T``.

    The grid has at most ``grid_size`` frequencies (integers from 0 to
    ``max_frequency``) and ``grid_size`` recencies (0 to ``T``), evaluated in
    chunks: memory stays bounded whatever ``max_frequency`` is. Cells with
    frequency 0 and recency > 0 cannot occur and are NaN.

    Args:
        model: A fitted model.
        max_frequency: Largest frequency shown, e.g. ``summary.frequency.max()``.
        T: Age of the customers, e.g. ``summary.T.max()``.
        grid_size: Points per axis (2 to 1,000).

    Returns:
        A DataFrame indexed by ``frequency`` with ``recency`` columns.
    """
    frequencies, recencies = _grid(max_frequency, T, grid_size)
    age = float(T)
    return _matrix(
        frequencies,
        recencies,
        lambda f, r: model.probability_alive(f, r, np.full(f.shape, age)),
    )


def frequency_recency_matrix(
    model: TransactionModel,
    *,
    t: float,
    max_frequency: int,
    T: float,  # noqa: N803 - the literature's name
    grid_size: int = 101,
) -> pd.DataFrame:
    """Expected purchases in the next ``t`` over a frequency x recency grid.

    Same grid and memory bound as `probability_alive_matrix`.

    Args:
        model: A fitted model.
        t: Length of the future window, in the model's time unit.
        max_frequency: Largest frequency shown.
        T: Age of the customers.
        grid_size: Points per axis (2 to 1,000).
    """
    if isinstance(t, bool) or not isinstance(t, int | float | np.number) or not t > 0:
        raise ValidationError("t", t, "expected a positive window, in the model's time unit")
    frequencies, recencies = _grid(max_frequency, T, grid_size)
    age, window = float(T), float(t)
    return _matrix(
        frequencies,
        recencies,
        lambda f, r: model.expected_purchases(window, f, r, np.full(f.shape, age)),
    )


def _extent(centres: npt.NDArray[np.float64]) -> tuple[float, float]:
    """Image edges that put each cell's centre on its grid value."""
    half = (centres[-1] - centres[0]) / max(len(centres) - 1, 1) / 2 if len(centres) > 1 else 0.5
    return float(centres[0] - half), float(centres[-1] + half)


def _matrix_plot(matrix: pd.DataFrame, ax: Axes | None, title: str, label: str) -> Axes:
    ax = _axes(ax)
    recency = matrix.columns.to_numpy(dtype=np.float64)
    frequency = matrix.index.to_numpy(dtype=np.float64)
    image = ax.imshow(
        np.ma.masked_invalid(matrix.to_numpy(dtype=np.float64)),
        origin="lower",
        aspect="auto",
        interpolation="nearest",
        extent=_extent(recency) + _extent(frequency),
    )
    ax.figure.colorbar(image, ax=ax, label=label)
    ax.set_xlabel("Recency (time of last purchase)")
    ax.set_ylabel("Frequency (repeat purchases)")
    ax.set_title(title)
    return ax


def plot_probability_alive_matrix(
    model: TransactionModel,
    *,
    max_frequency: int,
    T: float,  # noqa: N803 - the literature's name
    grid_size: int = 101,
    ax: Axes | None = None,
) -> Axes:
    """Heatmap of `probability_alive_matrix` (recency across, frequency up)."""
    matrix = probability_alive_matrix(model, max_frequency=max_frequency, T=T, grid_size=grid_size)
    return _matrix_plot(matrix, ax, f"Probability alive at age {T:.4g}", "P(alive)")


def plot_frequency_recency_matrix(
    model: TransactionModel,
    *,
    t: float,
    max_frequency: int,
    T: float,  # noqa: N803 - the literature's name
    grid_size: int = 101,
    ax: Axes | None = None,
) -> Axes:
    """Heatmap of `frequency_recency_matrix` (recency across, frequency up)."""
    matrix = frequency_recency_matrix(
        model, t=t, max_frequency=max_frequency, T=T, grid_size=grid_size
    )
    return _matrix_plot(
        matrix, ax, f"Expected purchases in the next {t:.4g} periods", "Expected purchases"
    )
