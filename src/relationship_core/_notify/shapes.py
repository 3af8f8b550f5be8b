"""The shape of a template's context: which names and attributes a template may use.

An event type declares ``{"party": shape_of(Party), "invoice": shape_of(Invoice)}``;
templates are checked against it when loaded, so ``{{ party.nmae }}`` fails
then, not when the first customer's e-mail renders.
"""

from __future__ import annotations

import collections.abc
import types
import typing
from collections.abc import Mapping
from typing import Any

import attrs

from relationship_core.exceptions import ValidationError

__all__ = ["ANY", "EventType", "Shape", "shape_of"]


@attrs.frozen
class Shape:
    """What a value offers a template.

    Attributes:
        name: For messages: ``"Party"``, ``"str"``, ``"list[Line]"``.
        fields: For records: attribute name to shape (``None`` for scalars).
        scalar: For scalars: the Python type whose public attributes are allowed.
        element: For sequences: the shape of each item (``for x in ...``).
        open: ``True`` for `ANY`: nothing below it is checked.
    """

    name: str
    fields: Mapping[str, Shape] | None = attrs.field(default=None, eq=False, repr=False)
    scalar: type | None = None
    element: Shape | None = None
    open: bool = False

    def attribute(self, attr: str) -> Shape | None:
        """The shape of ``value.attr``, or ``None`` if the value has no such attribute."""
        if attr.startswith("_"):
            return None  # never a template's business, even on an unchecked value
        if self.open:
            return ANY
        if self.fields is not None and attr in self.fields:
            return self.fields[attr]
        if self.scalar is not None and hasattr(self.scalar, attr):
            return ANY  # a method such as str.upper: its result is not checked
        if self.element is not None and attr in ("index", "count"):
            return ANY
        return None

    def known(self) -> list[str]:
        """Attribute names to suggest in an error."""
        if self.fields is not None:
            return sorted(self.fields)
        if self.scalar is not None:
            return sorted(a for a in dir(self.scalar) if not a.startswith("_"))
        return []


#: A value whose attributes are not checked (e.g. a plain dict payload).
ANY = Shape("any", open=True)

_SEQUENCES = (list, tuple, set, frozenset, collections.abc.Sequence, collections.abc.Iterable)


def shape_of(tp: Any, _seen: dict[Any, Shape] | None = None) -> Shape:
    """The `Shape` of an attrs class or a type annotation (recursive, cycle-safe).

    Examples:
        >>> import attrs
        >>> @attrs.frozen
        ... class Line:
        ...     description: str
        ...     quantity: int
        >>> sorted(shape_of(Line).fields)
        ['description', 'quantity']
        >>> shape_of(list[Line]).element.name
        'Line'
    """
    seen = {} if _seen is None else _seen
    if tp is Any or tp is object:
        return ANY
    if isinstance(tp, Shape):
        return tp
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(tp) if a is not type(None)]
        return shape_of(options[0], seen) if len(options) == 1 else ANY
    if origin is not None and origin in _SEQUENCES:
        args = typing.get_args(tp)
        element = shape_of(args[0], seen) if args else ANY
        return Shape(f"{origin.__name__}[{element.name}]", scalar=origin, element=element)
    if origin is not None and origin in (dict, collections.abc.Mapping):
        return ANY
    if isinstance(tp, type) and attrs.has(tp):
        if tp in seen:
            return seen[tp]
        fields: dict[str, Shape] = {}
        shape = Shape(tp.__name__, fields=fields)
        seen[tp] = shape
        hints = typing.get_type_hints(tp)
        for field in attrs.fields(tp):
            if field.name.startswith("_"):
                continue
            fields[field.name] = shape_of(hints.get(field.name, Any), seen)
        for name in dir(tp):  # public properties are attributes too
            if not name.startswith("_") and isinstance(getattr(tp, name, None), property):
                fields.setdefault(name, ANY)
        return shape
    if isinstance(tp, type):
        return Shape(tp.__name__, scalar=tp)
    return ANY


def _context(value: Mapping[str, Any]) -> Mapping[str, Shape]:
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise ValidationError("context", value, "expected a mapping of names to types or shapes")
    return {name: shape_of(tp) for name, tp in value.items()}


@attrs.frozen
class EventType:
    """An event a notification is made for, and the names its templates may use.

    Attributes:
        name: Such as ``"invoice.issued"``.
        context: Name to attrs class, annotation or `Shape`, e.g. ``{"party": Party}``.
    """

    name: str
    context: Mapping[str, Shape] = attrs.field(converter=_context, eq=False)
