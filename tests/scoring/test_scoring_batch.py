"""The batch path gives the same units as scoring lead by lead."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relationship_core._scoring import Lead, ScoringModel, score
from relationship_core._scoring._compiled import micros
from relationship_core._scoring.batch import score_arrays, score_frame

from .strategies import NOW, leads, models
from .test_scoring_engine import MODEL


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(models(), st.lists(leads(), min_size=1, max_size=6))
def test_score_arrays_equals_scoring_each_lead(model: ScoringModel, batch: list[Lead]) -> None:
    fields = {"custom.industry", "custom.employees", "tags", "email_domain"}
    attributes = {f: [lead.attributes.get(f) for lead in batch] for f in fields}
    events = [
        (row, a.type, micros(a.occurred_at))
        for row, lead in enumerate(batch)
        for a in lead.activities
    ]
    result = score_arrays(
        model,
        len(batch),
        NOW,
        attributes=attributes,
        event_lead=np.array([e[0] for e in events], dtype=np.int64),
        event_type=np.array([e[1] for e in events], dtype=object),
        event_time=np.array([e[2] for e in events], dtype=np.int64),
    )
    for row, lead in enumerate(batch):
        one = score(model, lead, NOW)
        assert [c.points for c in one.contributions[: len(model.criteria)]] == [
            int(u) * model.precision for u in result.units[row]
        ]
        assert int(result.total_units[row]) * model.precision == one.total


def test_score_frame_returns_scores_and_the_explanation_as_columns() -> None:
    frame = pd.DataFrame(
        {"custom.industry": ["saas", "retail", None], "custom.employees": [120, 10, np.nan]},
        index=pd.Index(["a", "b", "c"], name="lead"),
    )
    activities = pd.DataFrame(
        {
            "lead": ["a", "a", "b", "a"],
            "type": ["email_opened", "meeting_booked", "email_opened", "meeting_booked"],
            "occurred_at": [NOW, NOW - timedelta(days=7), NOW, NOW + timedelta(days=1)],
        }
    )
    scored = score_frame(MODEL, frame, NOW, activities)
    assert list(scored.columns[:3]) == ["total", "fit", "engagement"]
    assert scored.loc["a", "meetings"] == 14.14
    assert scored.loc["a", "total"] == 43.14
    assert scored.loc["c", "total"] == 0
    explanation = scored.drop(columns=["total", "fit", "engagement"])
    assert np.array_equal(np.rint(explanation.sum(axis=1) * 100), np.rint(scored["total"] * 100))


def test_importing_the_scoring_package_does_not_import_numpy() -> None:
    code = "import sys, relationship_core._scoring\nprint('numpy' in sys.modules, 'pandas' in sys.modules)"
    result = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False False"
