"""The exceptions relationship_core raises, in one hierarchy.

Catch `RelationshipCoreError` to handle anything the library raises on
purpose. Leaves also subclass the builtin they resemble, so code that already
catches ``ValueError`` or ``LookupError`` keeps working::

    RelationshipCoreError
    ├── ValidationError (ValueError)          bad input: carries field and value
    │   └── CurrencyMismatchError             arithmetic across two currencies
    ├── NotFoundError (LookupError)           no such record
    ├── InvalidTransitionError (ValueError)   a state machine refused a move
    ├── StorageError                          a backend failed; native errors wrap to this
    │   ├── ConflictError                     optimistic concurrency: stale version
    │   ├── SchemaError                       stored schema is newer / unmigrated
    │   ├── CorruptRecordError (ValueError)   a stored record cannot be loaded
    │   └── BackendUnavailableError (ConnectionError)
    ├── MissingExtraError (ImportError)       an optional extra is not installed
    └── PluginError                           a plugin could not be used
        ├── PluginLoadError (ImportError)
        ├── DuplicateBackendError (ValueError)
        └── UnknownBackendError (LookupError)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

__all__ = [
    "RelationshipCoreError",
    "ValidationError",
    "CurrencyMismatchError",
    "NotFoundError",
    "InvalidTransitionError",
    "StorageError",
    "ConflictError",
    "SchemaError",
    "CorruptRecordError",
    "BackendUnavailableError",
    "MissingExtraError",
    "PluginError",
    "PluginLoadError",
    "DuplicateBackendError",
    "UnknownBackendError",
]


class RelationshipCoreError(Exception):
    """Base of every exception relationship_core raises on purpose."""


#: Longest rendering of a refused value in a message; the value itself is kept whole.
_MAX_SHOWN = 200


def _names(values: Iterable[object]) -> tuple[str, ...]:
    """*values* as text for a message; a constructor of an error must never fail itself."""
    try:
        return tuple(str(value) for value in values)
    except TypeError:  # not iterable
        return (str(values),)


def _shown(value: object) -> str:
    """``repr(value)``, shortened, and never failing (huge ints, broken ``__repr__``)."""
    try:
        text = repr(value)
    except Exception:  # a message must never fail to build
        text = f"<{type(value).__name__} object>"
    if len(text) > _MAX_SHOWN:
        text = f"{text[: _MAX_SHOWN - 15]}... ({len(text)} chars)"
    return text


class ValidationError(RelationshipCoreError, ValueError):
    """Input was refused.

    Attributes:
        field: Dotted path of the offending field, e.g. ``"contacts[0].email"``.
        value: The value that was refused, as given.
        reason: Why it was refused and what to do instead.
    """

    def __init__(self, field: str, value: object, reason: str) -> None:
        self.field = field
        self.value = value
        self.reason = reason
        super().__init__(f"{field}={_shown(value)}: {reason}")

    def prefixed(self, parent: str) -> ValidationError:
        """Return a copy whose field path sits under *parent* (``parent.field``)."""
        path = f"{parent}{self.field}" if self.field.startswith("[") else f"{parent}.{self.field}"
        clone = type(self).__new__(type(self))
        clone.__dict__.update(self.__dict__)
        ValidationError.__init__(clone, path, self.value, self.reason)
        return clone


class CurrencyMismatchError(ValidationError):
    """Two amounts in different currencies met in one operation.

    Convert one of them first; relationship_core never converts implicitly.
    """

    def __init__(self, left: str, right: str, operation: str) -> None:
        self.left = left
        self.right = right
        super().__init__(
            "currency",
            right,
            f"cannot {operation} {left} and {right}; convert to one currency first",
        )


class NotFoundError(RelationshipCoreError, LookupError):
    """Nothing is stored under that kind and id.

    Attributes:
        kind: The record kind asked for, e.g. ``"party"``.
        id: The id asked for.
    """

    def __init__(self, kind: str, id: str) -> None:
        self.kind = kind
        self.id = id
        super().__init__(f"no {kind} with id {id!r}; check the id or list the {kind}s first")


class InvalidTransitionError(RelationshipCoreError, ValueError):
    """A state machine was asked for a move it does not allow.

    Attributes:
        entity: What was being moved, e.g. ``"order"``.
        current: The state it is in.
        requested: The state asked for.
        allowed: The states reachable from *current*.
    """

    def __init__(self, entity: str, current: str, requested: str, allowed: Iterable[str]) -> None:
        self.entity = entity
        self.current = current
        self.requested = requested
        self.allowed: tuple[str, ...] = _names(allowed)
        options = ", ".join(self.allowed) if self.allowed else "none: it is final"
        super().__init__(
            f"{entity} cannot move from {current!r} to {requested!r}; allowed moves: {options}"
        )


class StorageError(RelationshipCoreError):
    """A storage backend failed. Backends translate their native errors into this family."""


class ConflictError(StorageError):
    """A write named a version that is no longer current; nothing was changed.

    Re-read the record, re-apply the change and write again.

    Attributes:
        kind: The record kind.
        id: The record id.
        expected: The version the writer read (``None`` for "must not exist yet").
        actual: The version stored now (``None`` when absent).
    """

    def __init__(
        self,
        kind: str,
        id: str,
        expected: int | None,
        actual: int | None,
        detail: str = "",
    ) -> None:
        self.kind = kind
        self.id = id
        self.expected = expected
        self.actual = actual
        what = detail or (
            f"expected version {expected}, found {actual}"
            if expected is not None
            else f"already exists at version {actual}"
        )
        super().__init__(f"{kind} {id!r}: {what}; re-read it and apply the change again")


class SchemaError(StorageError):
    """The stored schema does not match this version of the library.

    Run ``relationship-core migrate URL`` to bring it up to date.
    """


class CorruptRecordError(StorageError, ValueError):
    """A stored record cannot be loaded: its document is damaged or no longer valid.

    Nothing was changed. Repair or delete the record (``relationship-core
    migrate URL`` lists every such record), or restore it from a backup.

    Attributes:
        kind: The record kind, e.g. ``"party"``.
        record_id: The record id.
        reason: What is wrong with it.
    """

    def __init__(self, kind: str, record_id: str, reason: str) -> None:
        self.kind = kind
        self.record_id = record_id
        self.reason = reason
        super().__init__(
            f"stored {kind} {record_id!r} cannot be loaded: {reason}; repair or delete it "
            "(relationship-core migrate URL lists every such record)"
        )


class BackendUnavailableError(StorageError, ConnectionError):
    """The backend could not be reached (server down, file locked for too long)."""


class MissingExtraError(RelationshipCoreError, ImportError):
    """A module needs an optional extra whose packages are not installed.

    Install the extra named in the message, e.g.
    ``pip install 'relationship-core[analytics]'``.

    Attributes:
        extra: The extra to install, e.g. ``"analytics"``.
        package: The missing (or broken) package, e.g. ``"numpy"``.
    """

    def __init__(self, module: str, extra: str, package: str) -> None:
        self.extra = extra
        self.package = package
        super().__init__(
            f"{module} needs the {extra!r} extra, but {package!r} is not installed (or fails to import): "
            f"pip install 'relationship-core[{extra}]'",
            name=package,
        )


class PluginError(RelationshipCoreError):
    """A plugin could not be loaded or used.

    Attributes:
        plugin: The plugin's name (entry-point or module name).
    """

    def __init__(self, plugin: str, message: str) -> None:
        self.plugin = plugin
        super().__init__(message)


class PluginLoadError(PluginError, ImportError):
    """A plugin failed to import or register; the host goes on without it."""

    def __init__(self, plugin: str, cause: BaseException) -> None:
        self.cause = cause
        super().__init__(
            plugin,
            f"plugin {plugin!r} failed to load: {type(cause).__name__}: {cause}; "
            "fix or uninstall it, or block it with RELATIONSHIP_CORE_BLOCK_PLUGINS",
        )


class DuplicateBackendError(PluginError, ValueError):
    """Two plugins offer a backend for the same URL scheme."""

    def __init__(self, scheme: str, first: str, second: str) -> None:
        self.scheme = scheme
        self.plugins = (first, second)
        super().__init__(
            second,
            f"URL scheme {scheme!r} is offered by both {first!r} and {second!r}; "
            "uninstall or block one of them with RELATIONSHIP_CORE_BLOCK_PLUGINS",
        )


class UnknownBackendError(PluginError, LookupError):
    """No plugin offers a backend for the URL's scheme."""

    def __init__(self, scheme: str, available: Sequence[str]) -> None:
        self.scheme = scheme
        self.available = _names(available)
        listed = ", ".join(f"{s}://" for s in self.available) or "none"
        super().__init__(
            scheme,
            f"no storage backend for scheme {scheme!r}; available: {listed}. "
            "Install the plugin that provides it (e.g. relationship-core[postgres])",
        )
