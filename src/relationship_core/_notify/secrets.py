"""Secrets for channels: resolved from the environment or a callable, never shown.

A channel's configuration document names where a secret lives
(``{"env": "SMTP_PASSWORD"}`` or ``{"secret": "smtp-password"}``), never the
secret itself, so the document can be stored, logged and diffed. The resolved
value travels in a `Secret`, whose ``repr``/``str`` are ``Secret('***')``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence

from relationship_core.exceptions import ValidationError

__all__ = ["ChannelSecrets", "Secret", "SecretLookup", "is_secret_reference", "resolve_reference"]

#: Looks a secret up by name (a vault client, keyring, a dict's ``get``...).
#: Returns ``None`` when it has no such secret.
SecretLookup = Callable[[str], "str | None"]

_MASK = "***"


class Secret:
    """A secret string that does not show itself.

    ``repr`` and ``str`` print ``Secret('***')``; call `reveal` at the one
    place that must send the value (an SMTP login, an HMAC key). Two secrets
    compare equal when their values are equal, without leaking either.

    Examples:
        >>> s = Secret("hunter2")
        >>> s, str(s), f"{s}"
        (Secret('***'), "Secret('***')", "Secret('***')")
        >>> s.reveal()
        'hunter2'
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise ValidationError("secret", Secret(_MASK), "a secret must be text")
        self._value = value

    def reveal(self) -> str:
        """The secret's value; pass it straight to the library that needs it."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret({_MASK!r})"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        import hmac

        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash(Secret)

    def __reduce__(self) -> tuple[object, ...]:
        # Pickling (e.g. into a job payload) would write the value out: refuse.
        raise TypeError("a Secret is not serialised; store its reference instead")


def is_secret_reference(value: object) -> bool:
    """Whether *value* is a reference such as ``{"env": "NAME"}`` or ``{"secret": "name"}``."""
    return (
        isinstance(value, Mapping)
        and len(value) == 1
        and next(iter(value)) in ("env", "secret")
        and isinstance(next(iter(value.values())), str)
    )


def resolve_reference(field: str, reference: object, lookup: SecretLookup | None) -> Secret:
    """Resolve one reference into a `Secret`; errors name the reference, never a value."""
    if not is_secret_reference(reference):
        raise ValidationError(
            field,
            Secret(_MASK),
            'secrets are never written in configuration; give {"env": "VARIABLE"} '
            'or {"secret": "name"} instead',
        )
    assert isinstance(reference, Mapping)  # noqa: S101 - narrowed by is_secret_reference
    ((source, name),) = reference.items()
    if source == "env":
        value = os.environ.get(name)
        if value is None:
            raise ValidationError(field, dict(reference), f"environment variable {name} is not set")
    else:
        if lookup is None:
            raise ValidationError(
                field, dict(reference), "no secret lookup was given; pass secrets=callable"
            )
        value = lookup(name)
        if value is None:
            raise ValidationError(field, dict(reference), f"the secret lookup has no {name!r}")
    if not isinstance(value, str) or not value:
        raise ValidationError(field, dict(reference), "the secret resolved to an empty value")
    return Secret(value)


class ChannelSecrets:
    """The resolved secrets of one channel, by option name, handed to its factory.

    Examples:
        >>> s = ChannelSecrets({"password": (Secret("pw"),)})
        >>> s.get("password"), s.get("token"), len(s.all("password"))
        (Secret('***'), None, 1)
    """

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, Sequence[Secret]] | None = None) -> None:
        self._values = {name: tuple(items) for name, items in (values or {}).items()}

    def get(self, name: str) -> Secret | None:
        """The first secret given for option *name*, or ``None``."""
        items = self._values.get(name, ())
        return items[0] if items else None

    def require(self, name: str) -> Secret:
        """The first secret for *name*; a `ValidationError` saying how to give it otherwise."""
        found = self.get(name)
        if found is None:
            raise ValidationError(
                name, None, f'this channel needs a secret {name} = {{"env": ...}}'
            )
        return found

    def all(self, name: str) -> tuple[Secret, ...]:
        """Every secret given for *name* (a list of references gives several, e.g. rotation)."""
        return self._values.get(name, ())

    def names(self) -> frozenset[str]:
        """The option names that carry secrets."""
        return frozenset(self._values)

    def __repr__(self) -> str:
        return f"ChannelSecrets({sorted(self._values)!r})"
