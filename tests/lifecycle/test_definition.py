"""Lifecycles as data: the default, loading a business's own, validation at load."""

from __future__ import annotations

import tomllib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relationship_core._lifecycle import DEFAULT_LIFECYCLE, Lifecycle, StageKind
from relationship_core.exceptions import InvalidTransitionError, ValidationError

L = DEFAULT_LIFECYCLE


def test_default_main_line_in_order() -> None:
    active = [s.name for s in L.stages if s.kind is StageKind.ACTIVE]
    assert active == [
        "subscriber",
        "lead",
        "marketing-qualified",
        "sales-qualified",
        "opportunity",
        "customer",
        "client",
        "advocate",
    ]
    assert {s.name for s in L.stages if s.kind is StageKind.ENDED} == {
        "lost",
        "disqualified",
        "churned",
    }
    assert L.stage("recycled").kind is StageKind.RECYCLED


def test_default_allows_forward_lapse_and_reactivation() -> None:
    assert "opportunity" in L.allowed_from("lead")
    assert "customer" in L.allowed_from("client")  # the lapse is a normal move
    assert L.allowed_from("churned") == ("recycled",)
    assert "customer" in L.allowed_from("recycled")
    assert L.allowed_from(None)[0] == "subscriber"


def test_backward_needs_override_and_reason() -> None:
    with pytest.raises(InvalidTransitionError) as caught:
        L.check_move("opportunity", "lead")
    assert caught.value.allowed == L.allowed_from("opportunity")
    assert "override" in " ".join(caught.value.__notes__)
    with pytest.raises(ValidationError, match="reason"):
        L.check_move("opportunity", "lead", override=True)
    assert L.check_move("opportunity", "lead", override=True, note="wrong button").name == "lead"


def test_override_does_not_open_forbidden_forward_moves() -> None:
    with pytest.raises(InvalidTransitionError):
        L.check_move("churned", "client", override=True, note="x")


@pytest.mark.parametrize("ended", ["lost", "disqualified", "churned"])
def test_ended_stages_need_a_reason_code(ended: str) -> None:
    source = next(s for s in L.names if ended in L.allowed_from(s))
    with pytest.raises(ValidationError) as caught:
        L.check_move(source, ended, note="only a note")
    assert caught.value.field == "reason_code"
    L.check_move(source, ended, reason_code="no-budget")


def test_unknown_target_is_a_validation_error_listing_stages() -> None:
    with pytest.raises(ValidationError, match="known: subscriber"):
        L.check_move("lead", "prospect")


@given(st.sampled_from([None, *DEFAULT_LIFECYCLE.names]), st.sampled_from(DEFAULT_LIFECYCLE.names))
def test_invalid_moves_name_the_allowed_moves(current: str | None, to: str) -> None:
    allowed = L.allowed_from(current)
    if to in allowed:
        return
    with pytest.raises(InvalidTransitionError) as caught:
        L.check_move(current, to, reason_code="r")
    assert caught.value.allowed == allowed
    for name in allowed:
        assert repr(to) in str(caught.value)
        assert name in str(caught.value)


TOML = """
name = "agency"
stages = ["enquiry", "proposal", "client", {name = "lost", kind = "ended"},
          {name = "recycled", kind = "recycled"}]
"""


def test_business_lifecycle_from_toml_defaults_to_forward_moves() -> None:
    lifecycle = Lifecycle.from_mapping(tomllib.loads(TOML))
    assert lifecycle.name == "agency"
    assert lifecycle.allowed_from("enquiry") == ("proposal", "client", "lost")
    assert lifecycle.allowed_from("lost") == ("recycled",)
    assert lifecycle.allowed_from("recycled") == ("enquiry", "proposal", "client")
    assert lifecycle.allowed_from(None) == ("enquiry",)


@pytest.mark.parametrize(
    ("data", "field", "value"),
    [
        ({"stages": ["a", "b", "a"]}, "stages", "a"),
        ({"stages": ["a", "b"], "transitions": {"a": ["c"]}}, "transitions.a", "c"),
        ({"stages": ["a", "b"], "transitions": {"z": ["a"]}}, "transitions", "z"),
        ({"stages": ["a", "b", "c"], "transitions": {"a": ["b"]}}, "stages", "c"),
        ({"stages": ["a", {"name": "x", "kind": "gone"}]}, "stages[1].kind", "gone"),
        ({"stages": ["a"], "entry": ["q"]}, "entry", "q"),
        ({"stages": "a,b"}, "stages", "a,b"),
        ({"stages": [{"name": "lost", "kind": "ended"}]}, "stages", ("lost",)),
    ],
)
def test_bad_lifecycles_are_refused_naming_the_stage(
    data: dict[str, object], field: str, value: object
) -> None:
    with pytest.raises(ValidationError) as caught:
        Lifecycle.from_mapping(data)
    assert (caught.value.field, caught.value.value) == (field, value)
