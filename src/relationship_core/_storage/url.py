"""Storage URLs: ``memory://``, ``sqlite:///path.db``, ``postgresql://user@host/db?schema=x``."""

from __future__ import annotations

from urllib.parse import parse_qsl, unquote, urlsplit

import attrs

from relationship_core.exceptions import ValidationError

__all__ = ["StorageURL", "parse_url"]


@attrs.frozen
class StorageURL:
    """A parsed storage URL.

    Examples:
        >>> url = parse_url("sqlite:///var/crm.db?timeout=5")
        >>> (url.scheme, url.path, url.options)
        ('sqlite', '/var/crm.db', {'timeout': '5'})

    Attributes:
        raw: The URL as given.
        scheme: Lower-cased scheme, which chooses the backend.
        netloc: ``user:password@host:port`` part (may be empty).
        path: Path part, percent-decoded (for ``sqlite:///x.db`` it is ``/x.db``;
            ``sqlite:///:memory:`` gives ``/:memory:``).
        options: Query parameters.
    """

    raw: str = attrs.field(repr=False)
    scheme: str
    netloc: str = attrs.field(repr=False)
    path: str
    options: dict[str, str]

    def option(self, name: str, default: str | None = None) -> str | None:
        """One query parameter, or *default*."""
        return self.options.get(name, default)


def parse_url(url: str | StorageURL) -> StorageURL:
    """Split a storage URL; refuse one without a scheme."""
    if isinstance(url, StorageURL):
        return url
    if not isinstance(url, str) or "://" not in url:
        raise ValidationError(
            "url", url, "expected a URL such as 'sqlite:///crm.db', 'memory://' or 'postgresql://…'"
        )
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if not scheme:
        raise ValidationError("url", url, "the URL has no scheme")
    options = dict(parse_qsl(parts.query, keep_blank_values=True))
    return StorageURL(url, scheme, parts.netloc, unquote(parts.path), options)
