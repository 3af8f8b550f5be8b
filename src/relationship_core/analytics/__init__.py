"""Customer lifetime value for notebooks: data preparation, models, validation and plots.

Needs the optional ``analytics`` extra (numpy, scipy, pandas, matplotlib)::

    pip install 'relationship-core[analytics]'

Importing this package without it raises
`MissingExtraError` (an ``ImportError``)
naming the missing package. matplotlib is imported only when a plot function
is called, so ``import relationship_core.analytics`` stays fast.
"""

from __future__ import annotations

import importlib
import importlib.util

from relationship_core.exceptions import MissingExtraError

_EXTRA_PACKAGES = ("numpy", "scipy", "pandas", "matplotlib")


def _require_extra() -> None:
    """Refuse to import without every package of the ``analytics`` extra."""
    for package in _EXTRA_PACKAGES:
        try:
            found = importlib.util.find_spec(package) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            raise MissingExtraError("relationship_core.analytics", "analytics", package)
    for package in ("numpy", "pandas"):  # imported eagerly below: a broken install fails here
        try:
            importlib.import_module(package)
        except ImportError as exc:
            raise MissingExtraError("relationship_core.analytics", "analytics", package) from exc


_require_extra()

from relationship_core.analytics._data import (  # noqa: E402 - after the extra check on purpose
    TimeUnit,
    calibration_holdout_summary,
    customer_summary,
)
from relationship_core.analytics._protocol import TransactionModel  # noqa: E402
from relationship_core.analytics._store_summary import store_customer_summary  # noqa: E402
from relationship_core.analytics._transactions import (  # noqa: E402
    transactions_from_invoices,
    transactions_from_orders,
    transactions_from_store,
)
from relationship_core.analytics._validation import HoldoutReport, holdout_report  # noqa: E402
from relationship_core.analytics.datasets import load_cdnow_sample  # noqa: E402
from relationship_core.analytics.plots import (  # noqa: E402
    cohort_retention_table,
    frequency_recency_matrix,
    period_transactions,
    plot_calibration_vs_holdout,
    plot_cohort_retention,
    plot_cumulative_transactions,
    plot_frequency_recency_matrix,
    plot_incremental_transactions,
    plot_period_transactions,
    plot_probability_alive_matrix,
    probability_alive_matrix,
    repeat_transactions_tracking,
)

# The models and lifetime-value names are appended at the end of this module.
__all__ = [
    # data preparation
    "TimeUnit",
    "customer_summary",
    "calibration_holdout_summary",
    "transactions_from_orders",
    "transactions_from_invoices",
    "transactions_from_store",
    "store_customer_summary",
    "load_cdnow_sample",
    # validation
    "TransactionModel",
    "HoldoutReport",
    "holdout_report",
    # plots and the tables behind them
    "period_transactions",
    "plot_period_transactions",
    "plot_calibration_vs_holdout",
    "repeat_transactions_tracking",
    "plot_cumulative_transactions",
    "plot_incremental_transactions",
    "probability_alive_matrix",
    "plot_probability_alive_matrix",
    "frequency_recency_matrix",
    "plot_frequency_recency_matrix",
    "cohort_retention_table",
    "plot_cohort_retention",
]


# -- models and lifetime value -----------------------------------------------------
# Re-exported from the public ``models`` module. Guarded so that, while that
# module is missing, data preparation and plots still import; any other error,
# such as a bug inside a model, still raises.

try:
    from relationship_core.analytics.models import (
        BetaGeoBetaBinomModel,
        BetaGeoModel,
        FitDiagnostics,
        GammaGammaInput,
        GammaGammaModel,
        Horizon,
        ModifiedBetaGeoModel,
        ParetoNBDModel,
        ShiftedBetaGeometricModel,
        customer_lifetime_value,
        expected_spend,
        gamma_gamma_input,
        retainer_residual_value,
    )
except ModuleNotFoundError as exc:  # pragma: no cover - only while the module is missing
    if exc.name != "relationship_core.analytics.models":
        raise
else:
    __all__ += [
        "BetaGeoModel",
        "ParetoNBDModel",
        "ModifiedBetaGeoModel",
        "BetaGeoBetaBinomModel",
        "GammaGammaModel",
        "gamma_gamma_input",
        "GammaGammaInput",
        "ShiftedBetaGeometricModel",
        "Horizon",
        "customer_lifetime_value",
        "expected_spend",
        "retainer_residual_value",
        "FitDiagnostics",
    ]
