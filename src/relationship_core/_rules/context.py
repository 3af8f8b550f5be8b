"""What a condition can see: a `Context` of named values and an `Exposure` whitelist.

Mappings are walked by string key; any other object only through the attribute
names its class (or a base class) is exposed with. Names starting with an
underscore cannot even be written in the language, so dunders, builtins and
modules are out of reach; a name that is not exposed reads as missing.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Final

import attrs

from relationship_core._domain.currency import Currency
from relationship_core._domain.money import Money
from relationship_core.exceptions import ValidationError

__all__ = ["MISSING", "Context", "Exposure", "normalize"]


class _Missing:
    """The value of a path that does not resolve; every comparison with it is false."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<missing>"

    def __bool__(self) -> bool:
        return False


MISSING: Final = _Missing()

_PLAIN = frozenset(
    {
        str,
        int,
        float,
        Decimal,
        bool,
        type(None),
        Money,
        datetime,
        date,
        list,
        tuple,
        set,
        frozenset,
        dict,
    }
)
_normalizers: dict[type, Callable[[object], object] | None] = {}


def _normalizer_for(kind: type) -> Callable[[object], object] | None:
    if kind in _PLAIN:
        return None
    if issubclass(kind, enum.Enum):
        return lambda value: normalize(value.value)  # type: ignore[attr-defined]
    if issubclass(kind, Currency):
        return lambda value: value.code  # type: ignore[attr-defined]
    for plain in (str, int, Decimal):
        if issubclass(kind, plain) and kind is not bool:
            return plain  # type: ignore[return-value]  # the constructor converts
    return None


def normalize(value: object) -> object:
    """The value as the language compares it: enums by value, currencies by code, str subclasses as str."""
    kind = type(value)
    try:
        convert = _normalizers[kind]
    except KeyError:
        convert = _normalizers[kind] = _normalizer_for(kind)
    return value if convert is None else convert(value)


class Exposure:
    """The whitelist of attributes conditions may read, per class.

    `Money` (``amount``, ``currency``) and `Currency` (``code``, ``minor_units``) are
    always exposed. Subclasses inherit what their bases expose.

    Examples:
        >>> import attrs
        >>> @attrs.frozen
        ... class Proposal:
        ...     title: str
        ...     _secret: str = "x"
        >>> Exposure.of_attrs(Proposal).allowed(Proposal)
        frozenset({'title'})
    """

    def __init__(self, attributes: Mapping[type, Iterable[str]] | None = None) -> None:
        table: dict[type, frozenset[str]] = {
            Money: frozenset({"amount", "currency"}),
            Currency: frozenset({"code", "minor_units"}),
        }
        for kind, names in (attributes or {}).items():
            if not isinstance(kind, type):
                raise ValidationError("exposure", kind, "keys are classes")
            chosen = frozenset(names)
            for name in chosen:
                if not isinstance(name, str) or not name.isidentifier() or name.startswith("_"):
                    raise ValidationError(
                        f"exposure[{kind.__name__}]", name, "expose public attribute names only"
                    )
            table[kind] = table.get(kind, frozenset()) | chosen
        self._declared = table
        self._resolved: dict[type, frozenset[str]] = {}
        self._steps: dict[type, frozenset[str] | None] = {}  # None: a mapping

    @classmethod
    def of_attrs(
        cls, *classes: type, extra: Mapping[type, Iterable[str]] | None = None
    ) -> Exposure:
        """Expose every public field of each attrs class (plus *extra*)."""
        table: dict[type, set[str]] = {}
        for kind in classes:
            table[kind] = {f.name for f in attrs.fields(kind) if not f.name.startswith("_")}
        for kind, names in (extra or {}).items():
            table.setdefault(kind, set()).update(names)
        return cls(table)

    def allowed(self, kind: type) -> frozenset[str]:
        """The names readable on instances of *kind* (its own and its bases')."""
        try:
            return self._resolved[kind]
        except KeyError:
            names: frozenset[str] = frozenset()
            for base in kind.__mro__:
                names |= self._declared.get(base, frozenset())
            self._resolved[kind] = names
            return names

    def step(self, value: object, name: str) -> object:
        """The value of *name* on *value*, or `MISSING` when it is absent or not exposed."""
        kind = type(value)
        try:
            names = self._steps[kind]
        except KeyError:
            names = self._steps[kind] = (
                None
                if issubclass(kind, Mapping)
                else frozenset()
                if kind is _Missing
                else self.allowed(kind)
            )
        if names is None:
            return value.get(name, MISSING)  # type: ignore[attr-defined]
        if name in names:
            return getattr(value, name, MISSING)
        return MISSING


_DEFAULT = Exposure()


class Context:
    """The values one evaluation sees: named roots (``order``, ``party``...) and ``now``.

    Build it once per event; it is read-only to conditions.

    Attributes:
        roots: The top-level names and their values (mappings or exposed objects).
        now: The aware current time that ``now`` means.
        exposure: The attribute whitelist.
    """

    __slots__ = ("exposure", "now", "roots")

    def __init__(
        self,
        roots: Mapping[str, object],
        *,
        now: datetime,
        exposure: Exposure | None = None,
    ) -> None:
        if not isinstance(now, datetime) or now.tzinfo is None or now.utcoffset() is None:
            raise ValidationError("now", now, "pass an aware datetime (with a time zone)")
        for key in roots:
            if not isinstance(key, str):
                raise ValidationError("roots", key, "root names are strings")
        self.roots: dict[str, object] = dict(roots)
        self.now = now
        self.exposure = exposure or _DEFAULT
