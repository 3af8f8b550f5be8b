"""The predictive scorer against Odoo 17.0's algorithm, worked by hand on small data.

Odoo keeps, per team and per (field, value), the won and lost counts of closed
leads plus 0.1 each; stage counts mean "reached at least this stage"; the
prior is the first stage's counts; a lead of an unknown team (or none) is
scored on the sum of every team's entries.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relationship_core._scoring.evaluation import GENERATED_PIPELINE as PIPELINE_GENERATED
from relationship_core._scoring.evaluation import auc, calibration, generate_history
from relationship_core._scoring.predictive import (
    FrequencyTable,
    Outcome,
    Pipeline,
    PipelineLead,
    PredictiveOptions,
    PredictiveScorer,
)
from relationship_core.exceptions import ValidationError

PIPELINE = Pipeline(("new", "qualified", "won"), won={"won"})
COUNTRY = PredictiveOptions(fields=("country",))


def lead(
    stage: str, outcome: str | None = None, team: str | None = None, **values: str
) -> PipelineLead:
    return PipelineLead(stage=stage, team=team, values=values, outcome=outcome)


ONE_TEAM = [
    lead("won", "won", country="BE"),
    lead("won", "won", country="FR"),
    lead("new", "lost", country="BE"),
    lead("qualified", "lost", country="BE"),
]


def test_the_frequency_table_counts_stages_reached() -> None:
    table = FrequencyTable.build(ONE_TEAM, PIPELINE, COUNTRY)
    # won leads count in every stage; a lost one in its stage and every earlier one
    assert table.as_dict() == {
        "": {
            "country": {"BE": [1, 2], "FR": [1, 0]},
            "stage": {"new": [2, 2], "qualified": [2, 1], "won": [2, 0]},
        }
    }


def test_worked_example_one_team() -> None:
    scorer = PredictiveScorer(FrequencyTable.build(ONE_TEAM, PIPELINE, COUNTRY))
    # prior from the first stage: won 2.1, lost 2.1 -> 0.5 / 0.5
    # stage new: x 2.1/2.1 and x 2.1/2.1
    # country FR (1.1 won, 0.1 lost) over the field's totals (2.2 won, 2.2 lost)
    # won = 0.5 * 1.1/2.2 = 0.25; lost = 0.5 * 0.1/2.2 = 0.022727...
    # 100 * 0.25 / 0.272727... = 91.666... -> 91.67
    prediction = scorer.predict(lead("new", country="FR"))
    assert prediction.probability == Decimal("91.67")
    assert prediction.top_for(1)[0].value == "FR"
    # stage qualified (2.1 / 2.1 won, 1.1 / 2.1 lost) and BE (1.1/2.2 won, 2.1/2.2 lost):
    # won = 0.5 * 1 * 0.5 = 0.25; lost = 0.5 * 1.1/2.1 * 2.1/2.2 = 0.25 -> 50.00
    prediction = scorer.predict(lead("qualified", country="BE"))
    assert prediction.probability == Decimal("50.00")
    assert [f.value for f in prediction.top_against()] == ["BE"]


TWO_TEAMS = [
    lead("won", "won", team="A", country="BE"),
    lead("new", "lost", team="A", country="BE"),
    lead("won", "won", team="B", country="FR"),
    lead("new", "lost", team="B", country="FR"),
    lead("qualified", "lost", team="B", country="FR"),
]


def test_worked_example_per_team_tables_and_the_fallback() -> None:
    scorer = PredictiveScorer(FrequencyTable.build(TWO_TEAMS, PIPELINE, COUNTRY))
    # team B: prior 1.1 / 2.1; qualified 1.1/1.1 won, 1.1/2.1 lost; FR is B's only
    # country so it cancels: won = 1.1/3.2, lost = 2.1/3.2 * 1.1/2.1 -> 50.00
    assert scorer.predict(lead("qualified", team="B", country="FR")).probability == Decimal("50.00")
    # team A never saw FR: the value is skipped, and stage new cancels -> the prior 50.00
    assert scorer.predict(lead("new", team="A", country="FR")).probability == Decimal("50.00")
    # an unknown team uses the sum of every team's entries, each with its own 0.1:
    # new 2.2 won / 3.2 lost (the prior), qualified 2.2 / 1.2, FR 1.1 / 2.1 of 2.2 / 3.2
    # won = 2.2/5.4 * 2.2/2.2 * 1.1/2.2 = 1.1/5.4
    # lost = 3.2/5.4 * 1.2/3.2 * 2.1/3.2 = 0.7875/5.4
    # 100 * 1.1 / 1.8875 = 58.278... -> 58.28
    assert scorer.predict(lead("qualified", team="Z", country="FR")).probability == Decimal("58.28")
    assert scorer.predict(lead("qualified", country="FR")).probability == Decimal("58.28")


def test_no_stage_scores_zero_and_a_won_stage_scores_a_hundred() -> None:
    scorer = PredictiveScorer(FrequencyTable.build(ONE_TEAM, PIPELINE, COUNTRY))
    assert scorer.predict(PipelineLead(stage=None)).probability == 0
    assert scorer.predict(lead("won")).probability == 100


def test_only_a_missing_first_stage_gives_no_probability() -> None:
    table = FrequencyTable.build([lead("won", "won", team="A")], PIPELINE, COUNTRY)
    # team A's first stage: 1.1 won but 0.1 lost -> still a probability; Odoo only
    # refuses when the first stage is missing from the team's table
    assert PredictiveScorer(table).predict(lead("new", team="A")).probability == Decimal("91.67")
    empty = PredictiveScorer(FrequencyTable(PIPELINE, COUNTRY))
    assert empty.predict(lead("new")).probability is None


def test_tags_below_fifty_observations_are_ignored() -> None:
    history = [lead("won", "won") for _ in range(30)] + [lead("new", "lost") for _ in range(30)]
    tagged = [
        PipelineLead(
            stage=h.stage, values={}, tags={"rare"} if i < 10 else {"common"}, outcome=h.outcome
        )
        for i, h in enumerate(history)
    ]
    # "rare": 10 won + 0 lost (+0.2) < 50, ignored; "common": 20 won + 30 lost (+0.2) kept
    scorer = PredictiveScorer(FrequencyTable.build(tagged, PIPELINE, COUNTRY))
    assert scorer.predict(PipelineLead(stage="new", tags={"rare"})).probability == Decimal("50.00")
    # common: won 20.1 / 20.1 (the only kept tag), lost 30.1 / 30.1: it cancels too
    assert scorer.predict(PipelineLead(stage="new", tags={"common"})).factors[0].weight == 0


def test_missing_email_quality_is_a_value_of_its_own() -> None:
    options = PredictiveOptions(fields=("email_state",))
    history = [
        PipelineLead(stage="won", values={"email_state": "correct"}, outcome="won"),
        PipelineLead(stage="new", values={}, outcome="lost"),
    ]
    table = FrequencyTable.build(history, PIPELINE, options)
    assert table.as_dict()[""]["email_state"] == {"False": [0, 1], "correct": [1, 0]}


def test_the_probability_is_clamped() -> None:
    history = [lead("won", "won", country="BE") for _ in range(2000)] + [
        lead("new", "lost", country="FR")
    ]
    scorer = PredictiveScorer(FrequencyTable.build(history, PIPELINE, COUNTRY))
    assert scorer.predict(lead("qualified", country="BE")).probability == Decimal("99.99")
    low = [lead("new", "lost", country="FR") for _ in range(3000)] + [
        lead("won", "won", country="BE")
    ]
    scorer = PredictiveScorer(FrequencyTable.build(low, PIPELINE, COUNTRY))
    assert scorer.predict(lead("new", country="FR")).probability == Decimal("0.01")


def test_an_unknown_stage_is_refused() -> None:
    with pytest.raises(ValidationError, match="not a stage"):
        FrequencyTable.build([lead("lunch", "lost")], PIPELINE, COUNTRY)


closed = st.builds(
    PipelineLead,
    stage=st.sampled_from(PIPELINE.stages),
    team=st.sampled_from([None, "A", "B"]),
    values=st.fixed_dictionaries({"country": st.sampled_from(["BE", "FR", "DE", None])}),
    tags=st.sets(st.sampled_from(["x", "y"])),
    outcome=st.sampled_from(Outcome),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(closed, max_size=40), st.randoms(use_true_random=False))
def test_incremental_updates_and_a_full_rebuild_give_identical_tables(
    history: list[PipelineLead], rng: random.Random
) -> None:
    rebuilt = FrequencyTable.build(history, PIPELINE, COUNTRY)
    live = FrequencyTable(PIPELINE, COUNTRY)
    shuffled = history[:]
    rng.shuffle(shuffled)
    for item in shuffled:
        live.add(item)
    assert live.as_dict() == rebuilt.as_dict()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(closed, max_size=40), st.lists(closed, min_size=1, max_size=5))
def test_probabilities_stay_inside_the_clamp(
    history: list[PipelineLead], open_leads: list[PipelineLead]
) -> None:
    scorer = PredictiveScorer(
        FrequencyTable.build(
            history, PIPELINE, PredictiveOptions(fields=("country",), tag_min_support=0)
        )
    )
    for prediction, item in zip(scorer.predict_many(open_leads), open_leads, strict=True):
        if prediction.probability is None or item.stage == "won":
            continue
        assert Decimal("0.01") <= prediction.probability <= Decimal("99.99")
        assert prediction.probability == prediction.probability.quantize(Decimal("0.01"))


def test_time_weighting_counts_old_outcomes_less_and_updates_the_same_way() -> None:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    options = PredictiveOptions(fields=("country",), half_life=timedelta(days=30))
    old = [PipelineLead(stage="won", values={"country": "BE"}, outcome="won", closed_at=start)] * 5
    recent = [
        PipelineLead(
            stage="new",
            values={"country": "BE"},
            outcome="lost",
            closed_at=start + timedelta(days=300),
        )
    ] * 5
    history = (
        old
        + recent
        + [
            PipelineLead(
                stage="won",
                values={"country": "FR"},
                outcome="won",
                closed_at=start + timedelta(days=300),
            )
        ]
    )
    table = FrequencyTable.build(history, PIPELINE, options)
    live = FrequencyTable(PIPELINE, options)
    for item in history:
        live.add(item)
    assert live.as_dict() == table.as_dict()
    at = start + timedelta(days=301)
    weighted = PredictiveScorer(table).predict(lead("new", country="BE"), as_of=at).probability
    plain = (
        PredictiveScorer(FrequencyTable.build(history, PIPELINE, COUNTRY))
        .predict(lead("new", country="BE"))
        .probability
    )
    assert weighted is not None
    assert plain is not None
    assert weighted < plain  # the old wins have faded


def test_min_support_drops_rare_values() -> None:
    history = [*ONE_TEAM, lead("won", "won", country="LU")]
    options = PredictiveOptions(fields=("country",), min_support=2)
    scorer = PredictiveScorer(FrequencyTable.build(history, PIPELINE, options))
    assert all(f.field != "country" for f in scorer.predict(lead("new", country="LU")).factors)


def test_evaluation_on_a_generated_held_out_split_beats_chance() -> None:
    history = generate_history(3000, seed=7)
    train, test = history[:2000], history[2000:]
    options = PredictiveOptions(fields=("country", "email_state"), tag_min_support=50)
    scorer = PredictiveScorer(FrequencyTable.build(train, PIPELINE_GENERATED, options))
    at_start = [PipelineLead(stage="new", team=h.team, values=h.values, tags=h.tags) for h in test]
    probabilities = [p.probability for p in scorer.predict_many(at_start)]
    won = [h.outcome is Outcome.WON for h in test]
    assert all(p is not None for p in probabilities)
    report = calibration(probabilities, won)  # type: ignore[arg-type]
    assert report.auc > 0.65
    assert report.brier < 0.25
    assert abs(auc([1, 2, 3, 4], [False, False, True, True]) - 1.0) < 1e-12
