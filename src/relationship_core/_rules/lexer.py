"""Splitting condition text into tokens, with line and column for every error."""

from __future__ import annotations

import re

import attrs

from relationship_core._rules.errors import ConditionError
from relationship_core._rules.limits import MAX_LENGTH

__all__ = ["KEYWORDS", "Token", "position", "tokenize"]

KEYWORDS = frozenset(
    {"and", "or", "not", "in", "contains", "exists", "matches", "true", "false", "null", "now"}
)

# Our own fixed pattern (never a user's): every alternative is linear, and the
# string body alternates between disjoint classes, so it cannot backtrack.
_TOKEN = re.compile(
    r"""
    (?P<space>[ \t\r\n]+)
  | (?P<number>[0-9]+(?:\.[0-9]+)?)
  | (?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<name>[A-Za-z][A-Za-z0-9_]*)
  | (?P<op>==|!=|<=|>=|<|>|\(|\)|\[|\]|,|\.|\+|-)
    """,
    re.VERBOSE,
)
_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", '"': '"', "'": "'"}


@attrs.frozen
class Token:
    """One token: its kind (``number``, ``string``, ``name``, ``op``, ``end``), text and offset."""

    kind: str
    text: str
    pos: int


def position(source: str, pos: int) -> tuple[int, int]:
    """The 1-based (line, column) of offset *pos* in *source*."""
    line = source.count("\n", 0, pos) + 1
    column = pos - (source.rfind("\n", 0, pos) + 1) + 1
    return line, column


def fail(
    source: str, field: str, pos: int, token: str, problem: str, *, allowed: tuple[str, ...] = ()
) -> ConditionError:
    """A `ConditionError` pointing at offset *pos* of *source*."""
    line, column = position(source, pos)
    return ConditionError(field, token, problem, allowed=allowed, line=line, column=column)


def unquote(source: str, field: str, token: Token) -> str:
    """The value of a string token, escapes resolved."""
    body = token.text[1:-1]
    if "\\" not in body:
        return body
    out: list[str] = []
    i = 0
    while i < len(body):
        char = body[i]
        if char == "\\":
            escape = body[i + 1]
            if escape not in _ESCAPES:
                raise fail(
                    source,
                    field,
                    token.pos + 1 + i,
                    "\\" + escape,
                    "unknown escape in a string",
                    allowed=("\\n", "\\t", "\\\\", '\\"', "\\'"),
                )
            out.append(_ESCAPES[escape])
            i += 2
        else:
            out.append(char)
            i += 1
    return "".join(out)


def tokenize(source: str, field: str = "condition") -> list[Token]:
    """The tokens of *source*, ending with an ``end`` token; refuses what is not the language."""
    if not isinstance(source, str):
        raise ConditionError(field, source, "a condition is text (or use the JSON form)")
    if len(source) > MAX_LENGTH:
        raise ConditionError(
            field,
            f"{source[:40]}...",
            f"the condition is {len(source)} characters long; the limit is {MAX_LENGTH}",
            allowed=("split it into several rules",),
        )
    tokens: list[Token] = []
    pos = 0
    end = len(source)
    while pos < end:
        found = _TOKEN.match(source, pos)
        if found is None:
            char = source[pos]
            if char in "\"'":
                raise fail(
                    source, field, pos, char, "unterminated string", allowed=(f"a closing {char}",)
                )
            raise fail(
                source,
                field,
                pos,
                char,
                "this character is not part of the condition language",
                allowed=("names", "numbers", "strings", "== != < <= > >=", "( ) [ ] , . + -"),
            )
        kind = found.lastgroup
        if kind != "space":
            tokens.append(Token(str(kind), found.group(), pos))
        pos = found.end()
    tokens.append(Token("end", "", end))
    return tokens
