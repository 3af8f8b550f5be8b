"""What the analytics plots share: a lazy Axes and their argument checks."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd

from relationship_core.exceptions import ValidationError

if TYPE_CHECKING:
    from matplotlib.axes import Axes


__all__ = ["_CHUNK_CELLS", "_axes", "_float_array", "_positive_int", "_require_columns"]

_CHUNK_CELLS = 1 << 18  # model evaluations per call: bounds temporary memory to a few MB


def _axes(ax: Axes | None) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt  # lazy on purpose: importing matplotlib is slow

    _, new = plt.subplots()
    return new


def _float_array(values: object) -> npt.NDArray[np.float64]:
    return np.asarray(values, dtype=np.float64)


def _require_columns(frame: object, field: str, names: tuple[str, ...]) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise ValidationError(field, type(frame).__name__, "expected a pandas DataFrame")
    missing = [name for name in names if name not in frame.columns]
    if missing:
        raise ValidationError(field, missing, "missing columns; build it with customer_summary()")
    return frame


def _positive_int(field: str, value: object, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ValidationError(field, value, f"expected an integer >= {minimum}")
    return int(value)
