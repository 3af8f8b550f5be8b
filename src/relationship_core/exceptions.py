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
    │   │   ├── DuplicateIdError              an added object's id is taken
    │   │   ├── UniqueKeyConflictError        a unique key value is taken
    │   │   └── LeaseLostError                a worker no longer holds its job
    │   ├── CapabilityError                   the backend lacks a needed capability
    │   ├── SchemaError                       stored schema is newer / unmigrated
    │   ├── CorruptRecordError (ValueError)   a stored record cannot be read back or loaded
    │   ├── BackendRefusedError (ValueError)  the database refused a value: not retryable
    │   └── BackendUnavailableError (ConnectionError)
    ├── EventCascadeError                     event handlers cascaded past the depth limit
    ├── MissingExtraError (ImportError)       an optional extra is not installed
    └── PluginError                           a plugin could not be used
        ├── PluginLoadError (ImportError)
        ├── DuplicateContributionError (ValueError)   two plugins, one name
        │   └── DuplicateBackendError
        └── UnknownContributionError (LookupError)    no plugin offers the name
            └── UnknownBackendError
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
    "UniqueKeyConflictError",
    "DuplicateIdError",
    "LeaseLostError",
    "CapabilityError",
    "EventCascadeError",
    "SchemaError",
    "CorruptRecordError",
    "BackendRefusedError",
    "BackendUnavailableError",
    "MissingExtraError",
    "PluginError",
    "PluginLoadError",
    "DuplicateContributionError",
    "UnknownContributionError",
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


class UniqueKeyConflictError(ConflictError):
    """A write claimed a unique key value another record already holds; nothing was changed.

    Unique keys are declared by a kind (``KindSpec.unique``) and compared after
    normalisation (trimmed, case-folded), so ``" Ann@Example.COM"`` and
    ``"ann@example.com"`` are the same e-mail address.

    Attributes:
        key: The unique key, e.g. ``"email"``.
        value: The normalised value claimed twice.
        holder: The id of the record that holds it (``""`` if another
            transaction holds it but is not visible yet).
    """

    def __init__(self, kind: str, id: str, key: str, value: str, holder: str) -> None:
        self.key = key
        self.value = value
        self.holder = holder
        held = f"{kind} {holder!r}" if holder else "another transaction"
        ConflictError.__init__(
            self, kind, id, None, None, detail=f"{key} {value!r} is already held by {held}"
        )


class DuplicateIdError(ConflictError):
    """An object was added (not updated) under an id another record already has.

    Choose another id, or ``get()`` the stored object and change that instead.
    """

    def __init__(self, kind: str, id: str, actual: int | None) -> None:
        self.kind = kind
        self.id = id
        self.expected = None
        self.actual = actual
        # Not ConflictError's "re-read it and apply again": re-reading cannot help here.
        StorageError.__init__(
            self,
            f"{kind} {id!r}: this id is taken (a stored {kind} has it); add the new object "
            f"under another id, or get() the stored one and change that instead",
        )


class LeaseLostError(ConflictError):
    """A worker no longer holds the job it is finishing; its transaction was rolled back.

    The lease lapsed and another worker claimed the job (a newer fence), or the
    job was cancelled while it ran. Do nothing more for this job: whoever holds
    it now finishes it.

    Attributes:
        job_id: The job.
        state: Its state now (``"gone"`` when it no longer exists).
    """

    def __init__(self, job_id: str, fence: int, actual: int | None, state: str, owner: str) -> None:
        self.job_id = job_id
        self.state = state
        super().__init__(
            "job",
            job_id,
            fence,
            actual,
            detail=f"lease of {owner!r} (fence {fence}) was lost; the job is now {state}",
        )


class CapabilityError(StorageError):
    """A backend lacks a capability (or contract version) the caller needs.

    Attributes:
        backend: The backend's class name.
        capability: What it lacks, e.g. ``"job_control"``.
    """

    def __init__(self, backend: str, capability: str, hint: str = "") -> None:
        self.backend = backend
        self.capability = capability
        super().__init__(
            f"the storage backend {backend} does not declare the {capability!r} capability"
            f"{hint or '; use a backend written for storage contract 2 (memory, SQLite, PostgreSQL)'}"
        )


class EventCascadeError(RelationshipCoreError):
    """Event handlers kept causing events past the bus's depth limit; nothing was written.

    Attributes:
        chain: ``(handler, event name)`` steps from the first event to the one refused.
        limit: The depth limit.
    """

    def __init__(self, chain: Sequence[tuple[str, str]], limit: int) -> None:
        self.chain = tuple(chain) if isinstance(chain, Iterable) else (chain,)
        self.limit = limit
        steps = " -> ".join(
            f"{step[1]} (by {step[0]})" if isinstance(step, tuple) and len(step) == 2 else str(step)
            for step in self.chain
        )
        super().__init__(
            f"event handlers cascaded deeper than {limit} events: {steps}; "
            "break the loop in one of these handlers, or raise max_event_depth if the chain "
            "is meant to be this long"
        )


class SchemaError(StorageError):
    """The stored schema does not match this version of the library.

    Run ``relationship-core migrate URL`` to bring it up to date.
    """


class CorruptRecordError(StorageError, ValueError):
    """A stored record cannot be read back or loaded: its row is damaged or no longer valid.

    Raised by a backend when a row is not a JSON object (changed behind the
    library's back), and by the mapping when a document fails the domain's
    checks. Nothing was changed. Repair or delete the record (``relationship-core
    migrate URL`` lists every such record), or restore it from a backup.

    Attributes:
        kind: The record kind, e.g. ``"party"`` (``"event"`` for the event log,
            ``"job"`` for the queue).
        record_id: The record id (the sequence number for an event).
        reason: What is wrong with it.
    """

    def __init__(self, kind: str, record_id: str, reason: str) -> None:
        self.kind = kind
        self.record_id = record_id
        self.reason = reason
        super().__init__(
            f"stored {kind} {record_id!r} cannot be loaded: {reason}; repair or delete it "
            "(relationship-core migrate URL lists every such record), or restore it from a backup"
        )

    @property
    def id(self) -> str:
        """The record id (the same as `record_id`)."""
        return self.record_id


class BackendRefusedError(StorageError, ValueError):
    """The database refused the data itself (too large, out of range, a constraint).

    Nothing was written, and trying again will fail the same way: unlike
    `BackendUnavailableError`, this is not a reason to retry.
    """


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


class DuplicateContributionError(PluginError, ValueError):
    """Two plugins contribute the same name (a kind, event type, channel, job queue...).

    Attributes:
        what: What is named, e.g. ``"kind"`` or ``"job queue"``.
        name: The name both contribute.
        plugins: The two plugins' names.
    """

    def __init__(self, what: str, name: str, first: str, second: str, message: str = "") -> None:
        self.what = what
        self.name = name
        self.plugins = (first, second)
        super().__init__(
            second,
            message
            or f"{what} {name!r} is contributed by both {first!r} and {second!r}; "
            "uninstall or block one of them with RELATIONSHIP_CORE_BLOCK_PLUGINS",
        )


class UnknownContributionError(PluginError, LookupError):
    """No installed plugin contributes the name asked for.

    Attributes:
        what: What was asked for, e.g. ``"job queue"``.
        name: The name asked for.
        available: The names the installed plugins do contribute.
    """

    def __init__(self, what: str, name: str, available: Sequence[str], message: str = "") -> None:
        self.what = what
        self.name = name
        self.available = _names(available)
        listed = ", ".join(map(repr, self.available)) or "none"
        super().__init__(
            name,
            message
            or f"no {what} {name!r}; known: {listed}. Check the name, or install the plugin "
            "that provides it (it registers in the relationship_core entry-point group)",
        )


class DuplicateBackendError(DuplicateContributionError):
    """Two plugins offer a backend for the same URL scheme."""

    def __init__(self, scheme: str, first: str, second: str) -> None:
        self.scheme = scheme
        super().__init__(
            "storage scheme",
            scheme,
            first,
            second,
            f"URL scheme {scheme!r} is offered by both {first!r} and {second!r}; "
            "uninstall or block one of them with RELATIONSHIP_CORE_BLOCK_PLUGINS",
        )


class UnknownBackendError(UnknownContributionError):
    """No plugin offers a backend for the URL's scheme."""

    def __init__(self, scheme: str, available: Sequence[str]) -> None:
        self.scheme = scheme
        listed = ", ".join(f"{s}://" for s in _names(available)) or "none"
        super().__init__(
            "storage scheme",
            scheme,
            _names(available),
            f"no storage backend for scheme {scheme!r}; available: {listed}. "
            f"{_scheme_hint(scheme, _names(available))}",
        )


def _scheme_hint(scheme: str, available: Sequence[str]) -> str:
    """What to do about an unknown scheme: a near miss, the extra, or a plugin."""
    import difflib

    scheme = str(scheme)
    if scheme.startswith("postgres") and not {"postgres", "postgresql"} & set(available):
        return "Install the PostgreSQL extra: pip install 'relationship-core[postgres]'"
    close = difflib.get_close_matches(scheme, available, n=1)
    if close:
        return f"Did you mean {close[0]}://?"
    return (
        "Check the URL's scheme, or install the plugin package that provides it "
        "(it registers in the relationship_core entry-point group)"
    )
