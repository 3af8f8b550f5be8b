"""A Jinja2 sandbox with bounded output and render time, for templates from untrusted authors.

Jinja2's `ImmutableSandboxedEnvironment` stops templates from reaching Python
internals (``''.__class__.__mro__``) and from mutating their context, but it
happily renders ``'a' * 10**7``. Here the ``*``, ``**`` and ``+`` operators are
intercepted and refused when their result would pass the output cap, filters
and calls refuse integer arguments that large, ``range`` and every call check
the deadline, and output is counted as it is generated.
"""

from __future__ import annotations

import contextvars
import functools
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import attrs
from jinja2 import StrictUndefined
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

__all__ = ["DEFAULT_LIMITS", "LimitedEnvironment", "RenderLimitError", "RenderLimits"]


@attrs.frozen
class RenderLimits:
    """Caps on one template render.

    Attributes:
        max_output: Characters a render may produce (default 256 KiB).
        max_seconds: Wall-clock time a render may take (default 100 ms).
        max_range: Items a ``range()`` may yield.
    """

    max_output: int = 256 * 1024
    max_seconds: float = 0.1
    max_range: int = 10_000


#: The limits used unless a template set is given others.
DEFAULT_LIMITS = RenderLimits()


class RenderLimitError(Exception):
    """Internal: a render passed a limit (turned into a ValidationError by the caller)."""


@attrs.define
class _Budget:
    limits: RenderLimits
    deadline: float

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise RenderLimitError(f"took longer than {self.limits.max_seconds * 1000:g} ms")

    def check_size(self, size: int, what: str = "output") -> None:
        if size > self.limits.max_output:
            raise RenderLimitError(f"{what} would pass {self.limits.max_output} characters")


_BUDGET: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar(
    "relationship_core_notify_budget", default=None
)


def _budget() -> _Budget:
    budget = _BUDGET.get()
    if budget is None:  # rendering outside `bounded`: use the defaults from now
        budget = _Budget(DEFAULT_LIMITS, time.monotonic() + DEFAULT_LIMITS.max_seconds)
    return budget


def _size(value: object) -> int | None:
    return len(value) if isinstance(value, str | bytes | list | tuple) else None


def _check_arguments(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    budget = _budget()
    budget.check_time()
    for value in (*args, *kwargs.values()):
        if (
            isinstance(value, int)
            and not isinstance(value, bool)
            and abs(value) > budget.limits.max_output
        ):
            raise RenderLimitError(f"an argument of {value} passes the output cap")


def _guard_filter(func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)  # keeps jinja_pass_arg (pass_context & co.)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        _check_arguments(args, kwargs)
        return func(*args, **kwargs)

    return guarded


def _bounded_range(*args: int) -> Iterator[int]:
    budget = _budget()
    items = range(*args)
    if len(items) > budget.limits.max_range:
        raise RenderLimitError(f"range() of more than {budget.limits.max_range} items")
    for item in items:
        budget.check_time()
        yield item


class LimitedEnvironment(ImmutableSandboxedEnvironment):
    """An immutable sandbox with `StrictUndefined` and the caps of `RenderLimits`."""

    intercepted_binops = frozenset({"*", "**", "+"})

    def __init__(
        self, *, autoescape: bool, filters: Mapping[str, Callable[..., Any]] | None = None
    ) -> None:
        super().__init__(
            autoescape=autoescape,
            undefined=StrictUndefined,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        merged = {**self.filters, **(filters or {})}
        self.filters = {name: _guard_filter(f) for name, f in merged.items()}
        self.globals["range"] = _bounded_range

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        budget = _budget()
        budget.check_time()
        if operator == "*":
            for seq, count in ((left, right), (right, left)):
                size = _size(seq)
                if size is not None and isinstance(count, int):
                    budget.check_size(size * max(count, 0), "a repeated value")
        elif operator == "**":
            if isinstance(right, int) and isinstance(left, int) and abs(left) > 1 and right > 64:
                raise RenderLimitError("exponents above 64 are refused")
        elif operator == "+" and (a := _size(left)) is not None and (b := _size(right)) is not None:
            budget.check_size(a + b, "a concatenation")
        return super().call_binop(context, operator, left, right)

    def call(
        __self,  # noqa: N805 - Jinja2's signature, so templates may pass "self"
        __context: Context,
        __obj: Any,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        _check_arguments(args, kwargs)
        return super().call(__context, __obj, *args, **kwargs)


def bounded(limits: RenderLimits, chunks: Callable[[], Iterator[str]]) -> str:
    """Join what *chunks* generates, stopping at the output cap or the deadline."""
    budget = _Budget(limits, time.monotonic() + limits.max_seconds)
    token = _BUDGET.set(budget)
    try:
        parts: list[str] = []
        size = 0
        for chunk in chunks():
            size += len(chunk)
            budget.check_size(size)
            budget.check_time()
            parts.append(chunk)
        return "".join(parts)
    finally:
        _BUDGET.reset(token)
