"""Checks for text that ends up in a mail header: no line breaks, visible or encoded.

A CR or LF in a subject, a display name or an address lets a caller add headers
of their own (``Bcc:``) or a body: header injection. Line breaks can also hide
in RFC 2047 encoded words (``=?UTF-8?Q?=0A?=``), which some receivers decode
before they parse, so encoded words are decoded and checked too.
"""

from __future__ import annotations

import binascii
import email.errors
import re
from email.header import decode_header
from email.headerregistry import Address

from relationship_core.exceptions import ValidationError

__all__ = ["check_address", "check_header_text"]

# C0 controls (except TAB) and DEL, plus the Unicode line and paragraph separators.
_FORBIDDEN = re.compile(r"[\x00-\x08\x0a-\x1f\x7f\x85\u2028\u2029]")
_ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[QqBb]\?[^?\s]*\?=")
_MAX_HEADER_TEXT = 998  # RFC 5322's line limit


def _decoded_words(field: str, text: str) -> str:
    words = _ENCODED_WORD.findall(text)
    if not words:
        return ""
    parts: list[str] = []
    for word in words:
        try:
            for chunk, charset in decode_header(word):
                if isinstance(chunk, bytes):
                    parts.append(chunk.decode(charset or "ascii", errors="replace"))
                else:
                    parts.append(chunk)
        except (binascii.Error, email.errors.HeaderParseError, LookupError, ValueError):
            raise ValidationError(
                field, text, "holds an RFC 2047 encoded word that does not decode; remove it"
            ) from None
    return "".join(parts)


def check_header_text(field: str, text: object) -> str:
    """Return *text* if it may stand in a header; else `ValidationError` (field, value).

    Examples:
        >>> check_header_text("subject", "Invoice 42")
        'Invoice 42'
        >>> check_header_text("subject", "Hi=?UTF-8?Q?=0A?=Bcc: x@example.com")
        Traceback (most recent call last):
        ...
        relationship_core.exceptions.ValidationError: subject='Hi=?UTF-8?Q?=0A?=Bcc: x@example.com': holds a line break or control character hidden in an RFC 2047 encoded word; header text must be one line
    """
    if not isinstance(text, str):
        raise ValidationError(field, text, "expected text")
    if _FORBIDDEN.search(text):
        raise ValidationError(
            field, text, "holds a line break or control character; header text must be one line"
        )
    if _FORBIDDEN.search(_decoded_words(field, text)):
        raise ValidationError(
            field,
            text,
            "holds a line break or control character hidden in an RFC 2047 encoded word; "
            "header text must be one line",
        )
    if len(text) > _MAX_HEADER_TEXT:
        raise ValidationError(field, text, f"longer than {_MAX_HEADER_TEXT} characters")
    return text


def _ascii_shape(local: str) -> str:
    return "".join(c if c.isascii() else "x" for c in local)


def check_address(field: str, address: object) -> str:
    """Return *address* (an addr-spec like ``ada@example.com``) if valid, else `ValidationError`.

    Non-ASCII local parts and domains are accepted (RFC 6532); sending them
    needs a server that offers SMTPUTF8.
    """
    text = check_header_text(field, address)
    if _ENCODED_WORD.search(text) or any(c in text for c in ' <>,;"()\\[]'):
        raise ValidationError(field, address, "expected a bare address like name@example.com")
    local, at, domain = text.rpartition("@")
    if not at or not local or "." not in domain or domain.startswith(".") or ".." in text:
        raise ValidationError(field, address, "expected the form name@example.com")
    # The parser refuses non-ASCII local parts outright (RFC 6532 allows them): check the
    # domain with it and the local part with the ASCII placeholder of the same shape.
    probe = text if local.isascii() else f"{_ascii_shape(local)}@{domain}"
    try:
        parsed = Address(addr_spec=probe)
    except (ValueError, IndexError, email.errors.HeaderParseError):
        raise ValidationError(field, address, "not a valid e-mail address") from None
    if parsed.addr_spec != probe:
        raise ValidationError(field, address, "not a valid e-mail address")
    return text
