"""The exception hierarchy is documented and leaves subclass their builtins."""

from __future__ import annotations

import pytest

from relationship_core import exceptions as exc


@pytest.mark.parametrize(
    ("cls", "builtin"),
    [
        (exc.ValidationError, ValueError),
        (exc.CurrencyMismatchError, ValueError),
        (exc.NotFoundError, LookupError),
        (exc.InvalidTransitionError, ValueError),
        (exc.BackendUnavailableError, ConnectionError),
        (exc.PluginLoadError, ImportError),
        (exc.DuplicateBackendError, ValueError),
        (exc.UnknownBackendError, LookupError),
    ],
)
def test_leaves_subclass_the_builtin_they_resemble(cls: type, builtin: type) -> None:
    assert issubclass(cls, exc.RelationshipCoreError)
    assert issubclass(cls, builtin)


def test_every_public_exception_is_in_all_and_documented() -> None:
    public = {
        name
        for name, obj in vars(exc).items()
        if isinstance(obj, type) and issubclass(obj, exc.RelationshipCoreError)
    }
    assert public == set(exc.__all__)
    for name in public:
        assert getattr(exc, name).__doc__, name
        assert name in (exc.__doc__ or ""), f"{name} missing from the module's tree"


def test_messages_carry_what_to_do_next() -> None:
    assert "re-read" in str(exc.ConflictError("party", "p1", 1, 2))
    assert "available: memory://, sqlite://" in str(
        exc.UnknownBackendError("x", ["memory", "sqlite"])
    )
    err = exc.DuplicateBackendError("sqlite", "builtin", "thirdparty")
    assert "builtin" in str(err)
    assert "thirdparty" in str(err)
    field_err = exc.ValidationError("email", "nope", "bad").prefixed("contacts[0]")
    assert field_err.field == "contacts[0].email"
