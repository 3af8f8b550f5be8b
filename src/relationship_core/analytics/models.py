"""Lifetime-value models and customer lifetime value: the public names.

The analytics package re-exports these; importing from here works as well.
"""

from __future__ import annotations

from relationship_core.analytics._clv import (
    Horizon,
    customer_lifetime_value,
    expected_spend,
    retainer_residual_value,
)
from relationship_core.analytics._models._base import FitDiagnostics
from relationship_core.analytics._models.bgbb import BetaGeoBetaBinomModel
from relationship_core.analytics._models.bgnbd import BetaGeoModel
from relationship_core.analytics._models.gammagamma import (
    GammaGammaInput,
    GammaGammaModel,
    gamma_gamma_input,
)
from relationship_core.analytics._models.mbgnbd import ModifiedBetaGeoModel
from relationship_core.analytics._models.paretonbd import ParetoNBDModel
from relationship_core.analytics._models.sbg import ShiftedBetaGeometricModel

__all__ = [
    # non-contractual customers
    "BetaGeoModel",
    "ParetoNBDModel",
    "ModifiedBetaGeoModel",
    "BetaGeoBetaBinomModel",
    "GammaGammaModel",
    "gamma_gamma_input",
    "GammaGammaInput",
    # retainers
    "ShiftedBetaGeometricModel",
    # value
    "Horizon",
    "customer_lifetime_value",
    "expected_spend",
    "retainer_residual_value",
    # fitting
    "FitDiagnostics",
]
