"""Load-time check of a template against its event's context shape, by walking the Jinja2 AST."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping

from jinja2 import nodes

from relationship_core._notify.shapes import ANY, Shape
from relationship_core.exceptions import ValidationError

__all__ = ["check_template"]

_JINJA_GLOBALS = frozenset({"range", "dict", "lipsum", "cycler", "joiner", "namespace"})
_FORBIDDEN = (nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)


class _Scope:
    def __init__(self, names: Mapping[str, Shape], parent: _Scope | None = None) -> None:
        self.names = dict(names)
        self.parent = parent

    def lookup(self, name: str) -> Shape | None:
        scope: _Scope | None = self
        while scope is not None:
            if name in scope.names:
                return scope.names[name]
            scope = scope.parent
        return None

    def child(self, names: Mapping[str, Shape] | None = None) -> _Scope:
        return _Scope(names or {}, self)


def _dotted(node: nodes.Node) -> str:
    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Getattr):
        return f"{_dotted(node.node)}.{node.attr}"
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
        return f"{_dotted(node.node)}[{node.arg.value!r}]"
    return "(...)"


class _Checker:
    def __init__(self, template: str, extra_globals: Iterable[str]) -> None:
        self.template = template
        self.globals = _JINJA_GLOBALS | frozenset(extra_globals)

    def fail(self, node: nodes.Node, expression: str, reason: str) -> ValidationError:
        return ValidationError(
            f"templates.{self.template}", expression, f"line {node.lineno}: {reason}"
        )

    def bind(self, target: nodes.Node, shape: Shape, scope: _Scope) -> None:
        if isinstance(target, nodes.Name):
            scope.names[target.name] = shape
        elif isinstance(target, nodes.Tuple | nodes.List):
            for item in target.items:
                self.bind(item, ANY, scope)
        elif isinstance(target, nodes.NSRef):
            pass

    def infer(self, node: nodes.Node, scope: _Scope) -> Shape:
        if isinstance(node, nodes.Name):
            found = scope.lookup(node.name)
            if found is not None:
                return found
            if node.name in self.globals:
                return ANY
            known = sorted({n for s in _chain(scope) for n in s.names} | self.globals)
            raise self.fail(node, node.name, f"unknown name {node.name!r}{_hint(node.name, known)}")
        if isinstance(node, nodes.Getattr):
            return self.attribute(node, node.attr, self.infer(node.node, scope))
        if isinstance(node, nodes.Getitem):
            base = self.infer(node.node, scope)
            arg = node.arg
            if isinstance(arg, nodes.Const) and isinstance(arg.value, str):
                return self.attribute(node, arg.value, base)
            self.visit(arg, scope)
            return base.element or ANY
        self.visit(node, scope)
        return ANY

    def attribute(self, node: nodes.Node, attr: str, base: Shape) -> Shape:
        found = base.attribute(attr)
        if found is None:
            raise self.fail(
                node,
                _dotted(node),
                f"{base.name} has no attribute {attr!r}{_hint(attr, base.known())}",
            )
        return found

    def visit(self, node: nodes.Node, scope: _Scope) -> None:  # noqa: PLR0912 - a branch per node kind
        if isinstance(node, _FORBIDDEN):
            raise self.fail(node, type(node).__name__.lower(), "templates cannot load others")
        if isinstance(node, nodes.Name | nodes.Getattr | nodes.Getitem):
            self.infer(node, scope)
        elif isinstance(node, nodes.For):
            iterated = self.infer(node.iter, scope)
            inner = scope.child({"loop": ANY})
            self.bind(node.target, iterated.element or ANY, inner)
            if node.test is not None:
                self.visit(node.test, inner)
            self.visit_all(node.body, inner)
            self.visit_all(node.else_, scope.child())
        elif isinstance(node, nodes.Assign):
            self.bind(node.target, self.infer(node.node, scope), scope)
        elif isinstance(node, nodes.AssignBlock):
            self.visit_all(node.body, scope.child())
            if node.filter is not None:
                self.visit(node.filter, scope)
            self.bind(node.target, ANY, scope)
        elif isinstance(node, nodes.Macro | nodes.CallBlock):
            if isinstance(node, nodes.Macro):
                scope.names[node.name] = ANY
            else:
                self.visit(node.call, scope)
            self.visit_all(node.defaults, scope)
            inner = scope.child(dict.fromkeys(("varargs", "kwargs", "caller"), ANY))
            for arg in node.args:
                self.bind(arg, ANY, inner)
            self.visit_all(node.body, inner)
        elif isinstance(node, nodes.With):
            inner = scope.child()
            for target, value in zip(node.targets, node.values, strict=True):
                self.bind(target, self.infer(value, scope), inner)
            self.visit_all(node.body, inner)
        else:
            self.visit_all(node.iter_child_nodes(), scope)

    def visit_all(self, items: Iterable[nodes.Node], scope: _Scope) -> None:
        for item in items:
            self.visit(item, scope)


def _chain(scope: _Scope) -> Iterable[_Scope]:
    current: _Scope | None = scope
    while current is not None:
        yield current
        current = current.parent


def _hint(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    if close:
        return f"; did you mean {close[0]!r}?"
    if known and len(known) <= 12:
        return f"; known: {', '.join(known)}"
    return ""


def check_template(
    name: str,
    tree: nodes.Template,
    context: Mapping[str, Shape],
    extra_globals: Iterable[str] = (),
) -> None:
    """Raise `ValidationError` (template, line, bad name) for names the context does not offer."""
    _Checker(name, extra_globals).visit(tree, _Scope(context))
