"""Rules written in Python: a condition that is a function, versioned by its name and a hash of its code.

`python_condition` registers a function ``(Context) -> bool`` under a name (in
this process). A rule uses it as ``condition = {python = "<name>"}`` in data,
or by passing the returned `PythonCondition` in a rule built in Python. Its
canonical form is ``{"python": name, "code": "sha256:..."}``: the hash of the
function's source, so the rule set's version (and so every audit record)
changes when the code does. A stored rule set whose code hash no longer
matches the registered function refuses to load, naming both hashes: the
store never runs code other than the version it recorded.

A Python condition runs arbitrary code, so it is trusted like the rest of the
application (it is registered by it, never loaded from data): data can only
name a registered function. An exception in it makes the condition false,
like a mismatch in the language, and shows in the explanation.
"""

from __future__ import annotations

import hashlib
import inspect
import marshal
import threading
from collections.abc import Callable, Mapping

from relationship_core._rules.condition import CompiledCondition
from relationship_core._rules.context import Context
from relationship_core._rules.explain import Explanation
from relationship_core._rules.parser import parse
from relationship_core.exceptions import ValidationError

__all__ = ["PythonCondition", "code_hash", "python_condition", "resolve_python"]

Predicate = Callable[[Context], bool]

_lock = threading.Lock()
_registry: dict[str, PythonCondition] = {}


def code_hash(function: Callable[..., object]) -> str:
    """``sha256:`` and 16 hex digits of *function*'s source (its bytecode when there is no source)."""
    try:
        text = inspect.getsource(function).encode()
    except (OSError, TypeError):
        code = getattr(function, "__code__", None)
        text = marshal.dumps(code) if code is not None else repr(function).encode()
    return "sha256:" + hashlib.sha256(text).hexdigest()[:16]


class PythonCondition(CompiledCondition):
    """A condition that is a registered Python function (see `python_condition`).

    Attributes:
        name: Its registered name.
        code: `code_hash` of the function.
    """

    __slots__ = ("code", "function", "name")

    def __init__(self, name: str, function: Predicate) -> None:
        super().__init__(parse("true"))  # the index files it with the unconditional rules
        self.name = name
        self.function = function
        self.code = code_hash(function)
        self.text = f"python:{name}"
        self.evaluate = self._evaluate

    def __repr__(self) -> str:
        return f"PythonCondition({self.name!r}, {self.code!r})"

    def _evaluate(self, context: Context) -> bool:
        try:
            return self.function(context) is True
        except Exception:
            return False

    def to_json(self) -> object:
        """``{"python": name, "code": hash}``."""
        return {"python": self.name, "code": self.code}

    def explain(self, context: Context) -> Explanation:
        """Its verdict (a function's inside is not explained), with an exception's message if one was raised."""
        try:
            result = self.function(context) is True
            values: tuple[tuple[str, object], ...] = ()
        except Exception as exc:
            result, values = False, (("raised", f"{type(exc).__name__}: {exc}"),)
        return Explanation(self.text, result, values)


def python_condition(
    name: str | None = None,
) -> Callable[[Predicate], PythonCondition]:
    """Register the decorated function ``(Context) -> bool`` as the Python condition *name*.

    *name* defaults to the function's qualified name. Registering a name again
    replaces it (the code hash says which version a rule set was built with).
    """

    def register(function: Predicate) -> PythonCondition:
        if not callable(function):
            raise ValidationError("function", function, "give a function (Context) -> bool")
        key = name or getattr(function, "__qualname__", "")
        if not isinstance(key, str) or not key.strip():
            raise ValidationError("name", name, "give the condition a non-empty name")
        condition = PythonCondition(key, function)
        with _lock:
            _registry[key] = condition
        return condition

    return register


def resolve_python(path: str, value: Mapping[str, object]) -> PythonCondition:
    """The registered condition *value* names (``{"python": name[, "code": hash]}``)."""
    if set(value) - {"python", "code"}:
        raise ValidationError(path, dict(value), 'give {"python": name} (and "code" when stored)')
    name = value.get("python")
    with _lock:
        found = _registry.get(name) if isinstance(name, str) else None
        known = sorted(_registry)
    if found is None:
        raise ValidationError(
            f"{path}.python", name, f"no Python condition of that name here; registered: {known}"
        )
    code = value.get("code")
    if code is not None and code != found.code:
        raise ValidationError(
            f"{path}.code",
            code,
            f"the code of {found.name!r} changed: stored {code}, running {found.code}; "
            "install the rule set again to run the new code",
        )
    return found
