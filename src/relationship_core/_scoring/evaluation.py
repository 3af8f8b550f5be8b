"""Honest evaluation of a predictive scorer: AUC, calibration, a generated data set."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import attrs

from relationship_core._scoring.predictive import Outcome, Pipeline, PipelineLead
from relationship_core.exceptions import ValidationError

__all__ = [
    "GENERATED_PIPELINE",
    "CalibrationBin",
    "CalibrationReport",
    "auc",
    "calibration",
    "generate_history",
    "true_probability",
]


def auc(probabilities: Sequence[float | Decimal], won: Sequence[bool]) -> float:
    """The area under the ROC curve (Mann-Whitney; ties count one half)."""
    if len(probabilities) != len(won):
        raise ValidationError("won", len(won), "needs one outcome per probability")
    ranked = sorted(zip((float(p) for p in probabilities), won, strict=True))
    positives = sum(won)
    negatives = len(won) - positives
    if not positives or not negatives:
        raise ValidationError("won", positives, "AUC needs both won and lost leads")
    rank_sum = 0.0
    index = 0
    while index < len(ranked):
        end = index
        while end + 1 < len(ranked) and ranked[end + 1][0] == ranked[index][0]:
            end += 1
        mid_rank = (index + end) / 2 + 1
        rank_sum += mid_rank * sum(1 for _, w in ranked[index : end + 1] if w)
        index = end + 1
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


@attrs.frozen
class CalibrationBin:
    """Leads whose predicted probability fell in ``[low, high)`` percent.

    Attributes:
        low: Lower bound, percent.
        high: Upper bound, percent.
        count: Leads in the bin.
        predicted: Their mean predicted probability, percent.
        observed: The share of them won, percent.
    """

    low: float
    high: float
    count: int
    predicted: float
    observed: float


@attrs.frozen
class CalibrationReport:
    """How predicted probabilities compare with outcomes.

    Attributes:
        bins: Non-empty bins, lowest first.
        brier: Mean squared error of the probability (0 is perfect).
        auc: Area under the ROC curve.
    """

    bins: tuple[CalibrationBin, ...]
    brier: float
    auc: float

    def table(self) -> str:
        """The bins as a Markdown table."""
        lines = ["| predicted | leads | mean predicted | observed won |", "|---|---|---|---|"]
        lines += [
            f"| {b.low:.0f}-{b.high:.0f} % | {b.count} | {b.predicted:.1f} % | {b.observed:.1f} % |"
            for b in self.bins
        ]
        return "\n".join(lines)


def calibration(
    probabilities: Sequence[float | Decimal], won: Sequence[bool], bins: int = 10
) -> CalibrationReport:
    """Bin predictions (percent) into *bins* equal widths and compare with outcomes."""
    if bins < 1:
        raise ValidationError("bins", bins, "at least one bin")
    width = 100 / bins
    grouped: list[list[tuple[float, bool]]] = [[] for _ in range(bins)]
    for p, w in zip(probabilities, won, strict=True):
        grouped[min(int(float(p) / width), bins - 1)].append((float(p), w))
    report = [
        CalibrationBin(
            low=i * width,
            high=(i + 1) * width,
            count=len(group),
            predicted=sum(p for p, _ in group) / len(group),
            observed=100 * sum(w for _, w in group) / len(group),
        )
        for i, group in enumerate(grouped)
        if group
    ]
    brier = sum((float(p) / 100 - w) ** 2 for p, w in zip(probabilities, won, strict=True)) / len(
        won
    )
    return CalibrationReport(tuple(report), brier, auc(probabilities, won))


#: The pipeline `generate_history` uses.
GENERATED_PIPELINE = Pipeline(("new", "qualified", "proposition", "won"), won={"won"})


_COUNTRY_EFFECT = {"BE": 0.8, "FR": 0.2, "DE": -0.3, "US": -0.9}


def true_probability(lead: PipelineLead) -> float:
    """The chance `generate_history` gave *lead* to win: the best any scorer can know."""
    email = lead.values.get("email_state")
    logit = -0.4 + _COUNTRY_EFFECT[str(lead.values.get("country"))]
    logit += 0.7 if email == "correct" else -0.6
    logit += 0.9 if "referral" in lead.tags else 0.0
    logit += 0.3 if lead.team == "partners" else 0.0
    return 1 / (1 + math.exp(-logit))


def generate_history(count: int, seed: int = 0) -> list[PipelineLead]:
    """Closed leads whose chance to win depends on country, e-mail quality, a tag and team.

    The true model is logistic, not naive Bayes, and the tag is more common
    in one country, so the scorer is not evaluated on data shaped exactly like
    its own assumptions. `true_probability` gives each lead's real chance.
    """
    rng = random.Random(seed)  # noqa: S311 - generated sample data, not secrets
    start = datetime(2025, 1, 1, tzinfo=UTC)
    history = []
    for _ in range(count):
        country = rng.choice(list(_COUNTRY_EFFECT))
        team = rng.choice(["direct", "partners"])
        email = rng.choices(["correct", "incorrect", None], weights=[7, 2, 1])[0]
        tags = {"referral"} if rng.random() < (0.45 if country == "BE" else 0.2) else set()
        lead = PipelineLead(
            stage="new", team=team, values={"country": country, "email_state": email}, tags=tags
        )
        won = rng.random() < true_probability(lead)
        stage = (
            "won" if won else rng.choices(["new", "qualified", "proposition"], weights=[5, 3, 2])[0]
        )
        history.append(
            attrs.evolve(
                lead,
                stage=stage,
                outcome=Outcome.WON if won else Outcome.LOST,
                closed_at=start + timedelta(hours=rng.randrange(24 * 365)),
            )
        )
    return history
