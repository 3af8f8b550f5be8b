"""Storage URLs: ``memory://``, ``sqlite:///path.db``, ``postgresql://user@host/db?schema=x``.

A URL may carry a password (``postgresql://user:secret@host/db`` or
``?password=secret``); `redact` hides it, and every message, repr and
``ValidationError.value`` built from a URL goes through it.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, unquote, urlsplit

import attrs

from relationship_core.exceptions import ValidationError

__all__ = ["SECRET_OPTIONS", "StorageURL", "parse_url", "redact"]

#: Query parameters whose values are secrets (libpq's names).
SECRET_OPTIONS = frozenset({"password", "sslpassword", "passfile"})
# ``user:password@`` after the scheme (or at the start, for a URL missing its slashes); the
# password runs to the last ``@`` of the token, so an unencoded ``@`` in it stays hidden.
_USERINFO = re.compile(r"(//)([^:/?#@\s'\"]*):[^\s'\"]*@")
_BARE_USERINFO = re.compile(r"(^)([^:/?#@\s'\"]*:[^:/?#@\s'\"]*):[^\s'\"]*@")
_OPTION = re.compile(r"(?i)\b(" + "|".join(sorted(SECRET_OPTIONS)) + r")=[^&\s'\"]*")
MASK = "***"


def redact(text: str) -> str:
    """*text* with every URL password replaced by ``***``.

    Examples:
        >>> redact("postgresql://crm:s3cret@db:5432/crm?schema=a&password=x")
        'postgresql://crm:***@db:5432/crm?schema=a&password=***'
        >>> redact("sqlite:///var/crm.db")
        'sqlite:///var/crm.db'
    """
    if not isinstance(text, str):
        raise ValidationError("text", text, "expected the text to redact")
    userinfo = _USERINFO if "//" in text else _BARE_USERINFO
    return _OPTION.sub(rf"\1={MASK}", userinfo.sub(rf"\1\2:{MASK}@", text))


@attrs.frozen(repr=False)
class StorageURL:
    """A parsed storage URL.

    Examples:
        >>> url = parse_url("sqlite:///var/crm.db?timeout=5")
        >>> (url.scheme, url.path, url.options)
        ('sqlite', '/var/crm.db', {'timeout': '5'})
        >>> parse_url("postgresql://crm:s3cret@db/crm")
        StorageURL('postgresql://crm:***@db/crm')

    Attributes:
        raw: The URL as given (with its password: never print it; use `redacted`).
        scheme: Lower-cased scheme, which chooses the backend.
        netloc: ``user:password@host:port`` part (may be empty).
        path: Path part, percent-decoded (for ``sqlite:///x.db`` it is ``/x.db``;
            ``sqlite:///:memory:`` gives ``/:memory:``).
        options: Query parameters.
    """

    raw: str
    scheme: str
    netloc: str
    path: str
    options: dict[str, str]

    @property
    def redacted(self) -> str:
        """The URL with its password hidden: what messages and logs show."""
        return redact(self.raw)

    @property
    def secrets(self) -> tuple[str, ...]:
        """The password(s) the URL carries, as written and percent-decoded."""
        found: list[str] = []
        userinfo, at, _ = self.netloc.rpartition("@")
        if at and ":" in userinfo:
            found.append(userinfo.split(":", 1)[1])
        found.extend(v for k, v in self.options.items() if k.lower() in SECRET_OPTIONS)
        found.extend([unquote(s) for s in found])
        return tuple(dict.fromkeys(s for s in found if s))

    def __repr__(self) -> str:
        return f"StorageURL({self.redacted!r})"

    def option(self, name: str, default: str | None = None) -> str | None:
        """One query parameter, or *default*."""
        return self.options.get(name, default)


def parse_url(url: str | StorageURL) -> StorageURL:
    """Split a storage URL; refuse one without a scheme."""
    if isinstance(url, StorageURL):
        return url
    if not isinstance(url, str) or "://" not in url:
        raise ValidationError(
            "url",
            redact(url) if isinstance(url, str) else url,
            "expected a URL such as 'sqlite:///crm.db', 'memory://' or 'postgresql://…'",
        )
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # e.g. an unclosed [IPv6] host
        raise ValidationError("url", redact(url), f"malformed URL ({exc})") from None
    scheme = parts.scheme.lower()
    if not scheme:
        raise ValidationError("url", redact(url), "the URL has no scheme")
    options = dict(parse_qsl(parts.query, keep_blank_values=True))
    return StorageURL(url, scheme, parts.netloc, unquote(parts.path), options)
