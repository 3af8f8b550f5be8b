"""Hypothesis strategies for scoring models and leads (test-only)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import strategies as st

from relationship_core._scoring import (
    Activity,
    Decay,
    EngagementCriterion,
    FitCriterion,
    Group,
    Lead,
    ScoringModel,
)

NOW = datetime(2026, 6, 1, tzinfo=UTC)
ACTIVITIES = ("email_opened", "form_submitted", "meeting_booked", "page_visited")

#: Fit criteria several tests' models share, as mappings.
SAAS = {
    "name": "saas",
    "kind": "fit",
    "field": "custom.industry",
    "op": "equals",
    "value": "saas",
    "points": 10,
}
SIZE = {
    "name": "size",
    "kind": "fit",
    "field": "custom.employees",
    "op": "range",
    "minimum": 50,
    "maximum": 500,
    "points": 15,
}

points = st.integers(-2000, 2000).map(lambda n: n / 100).map(str)
positive_points = st.integers(1, 2000).map(lambda n: n / 100).map(str)
caps = st.none() | st.integers(0, 3000).map(lambda n: str(n / 100))
decays = st.builds(
    Decay,
    half_life=st.none() | st.integers(1, 60).map(lambda d: timedelta(days=d)),
    window=st.none() | st.integers(1, 120).map(lambda d: timedelta(days=d)),
)


def fit_criteria(index: int, pts: st.SearchStrategy[str]) -> st.SearchStrategy[FitCriterion]:
    return st.one_of(
        st.builds(
            FitCriterion,
            name=st.just(f"fit{index}"),
            field=st.just("custom.industry"),
            op=st.just("equals"),
            value=st.sampled_from(["saas", "retail"]),
            points=pts,
            cap=caps,
        ),
        st.builds(
            FitCriterion,
            name=st.just(f"fit{index}"),
            field=st.just("custom.employees"),
            op=st.just("range"),
            minimum=st.integers(0, 100),
            maximum=st.integers(100, 1000),
            points=pts,
            cap=caps,
        ),
        st.builds(
            FitCriterion,
            name=st.just(f"fit{index}"),
            field=st.just("tags"),
            op=st.just("in"),
            values=st.sets(st.sampled_from(["vip", "partner", "churned"]), min_size=1),
            points=pts,
        ),
        st.builds(
            FitCriterion,
            name=st.just(f"fit{index}"),
            field=st.sampled_from(["email_domain", "custom.employees"]),
            op=st.just("exists"),
            points=pts,
        ),
    )


def engagement_criteria(
    index: int, pts: st.SearchStrategy[str]
) -> st.SearchStrategy[EngagementCriterion]:
    return st.builds(
        EngagementCriterion,
        name=st.just(f"eng{index}"),
        activity=st.sampled_from(ACTIVITIES),
        points=pts,
        cap=caps,
        decay=st.none() | decays,
    )


@st.composite
def models(draw: st.DrawFn, *, positive: bool = False) -> ScoringModel:
    pts = positive_points if positive else points
    n_fit = draw(st.integers(0, 4))
    n_eng = draw(st.integers(0, 4))
    criteria: list[FitCriterion | EngagementCriterion] = [
        draw(fit_criteria(i, pts)) for i in range(n_fit)
    ]
    criteria += [draw(engagement_criteria(i, pts)) for i in range(n_eng)]
    groups = [
        Group(name=name, cap=draw(caps)) for name in ("fit", "engagement") if draw(st.booleans())
    ]
    return ScoringModel(
        criteria=criteria,
        groups=groups,
        total_cap=draw(caps),
        decay=draw(decays),
    )


@st.composite
def leads(draw: st.DrawFn, *, before: datetime = NOW) -> Lead:
    attributes: dict[str, object] = {}
    if draw(st.booleans()):
        attributes["custom.industry"] = draw(st.sampled_from(["saas", "retail", "bakery"]))
    if draw(st.booleans()):
        attributes["custom.employees"] = draw(st.integers(0, 2000))
    attributes["tags"] = frozenset(draw(st.sets(st.sampled_from(["vip", "partner", "churned"]))))
    if draw(st.booleans()):
        attributes["email_domain"] = "example.com"
    activities = draw(
        st.lists(
            st.builds(
                Activity,
                type=st.sampled_from(ACTIVITIES),
                occurred_at=st.integers(0, 200 * 86_400).map(
                    lambda s: before - timedelta(seconds=s)
                ),
            ),
            max_size=12,
        )
    )
    return Lead(attributes=attributes, activities=activities)
