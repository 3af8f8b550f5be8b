"""The web front's settings: the secret key from the environment, links, limits, proxies."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable, Iterable, Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import attrs

from relationship_core.exceptions import ValidationError

if TYPE_CHECKING:
    from relationship_core._notify.secrets import Secret

__all__ = ["SECRET_ENV", "RateLimit", "WebSettings"]

#: The environment variable holding the key that signs cookies, CSRF tokens and survey links.
SECRET_ENV = "RELATIONSHIP_CORE_WEB_SECRET"  # noqa: S105 - a variable name


def _secret_class() -> type[Secret]:
    # The web plugin's kinds load with every store, and the `_notify` package
    # imports Babel (an extra), so the secret type is imported when first used.
    from relationship_core._notify.secrets import Secret

    return Secret


def _secret(value: object) -> Secret:
    secret = _secret_class()
    if isinstance(value, str):
        value = secret(value)
    if not isinstance(value, secret) or len(value.reveal()) < 32:
        raise ValidationError("secret_key", secret("***"), "give at least 32 characters")
    return value


def _base_url(value: object) -> str:
    if not isinstance(value, str) or not value.startswith(("https://", "http://")):
        raise ValidationError("base_url", value, "an absolute http(s) URL the links point to")
    if any(c in value for c in "\r\n\x00<>\"' "):
        raise ValidationError("base_url", value, "no spaces, quotes or control characters")
    return value.rstrip("/")


def _positive(field: str) -> Callable[[Any, Any, Any], None]:
    def check(_inst: Any, _attr: Any, value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, int | timedelta):
            raise ValidationError(field, value, "expected a positive number")
        if (value <= timedelta(0)) if isinstance(value, timedelta) else value <= 0:
            raise ValidationError(field, value, "expected a positive number")

    return check


@attrs.frozen
class RateLimit:
    """At most *requests* per *window* for one key.

    Attributes:
        requests: Requests allowed in a window.
        window: The fixed window's length.
    """

    requests: int = attrs.field(validator=_positive("requests"))
    window: timedelta = attrs.field(validator=_positive("window"))


def _networks(value: Iterable[str]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    if isinstance(value, str):
        value = [value]
    try:
        return tuple(ipaddress.ip_network(v) for v in value)
    except (TypeError, ValueError):
        raise ValidationError("trusted_proxies", value, "addresses or networks") from None


@attrs.frozen(kw_only=True)
class WebSettings:
    """How the web front runs; `from_env` reads the secret key from `SECRET_ENV`.

    Attributes:
        secret_key: Signs session cookies, CSRF tokens and survey links (never shown).
        base_url: Where the front is mounted, as the public sees it; links in
            e-mails are built from it, never from a request's ``Host``.
        sign_in_valid_for: How long an e-mailed sign-in link works.
        session_lifetime: How long a portal session lasts.
        secure_cookies: Mark cookies ``Secure`` (turn off only for plain-HTTP tests).
        max_body: The largest request body accepted, in bytes.
        trusted_proxies: Proxies whose ``X-Forwarded-For`` names the client.
        per_address: Form and sign-in posts allowed per client address.
        per_email: Form submissions and sign-in mails allowed per e-mail address.
        business_name: Shown in the pages' header and the sign-in mail.
    """

    secret_key: Secret = attrs.field(converter=_secret, repr=False)
    base_url: str = attrs.field(converter=_base_url)
    sign_in_valid_for: timedelta = timedelta(minutes=15)
    session_lifetime: timedelta = timedelta(hours=8)
    secure_cookies: bool = True
    max_body: int = 64 * 1024
    trusted_proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = attrs.field(
        default=(), converter=_networks
    )
    per_address: RateLimit = RateLimit(30, timedelta(minutes=10))
    per_email: RateLimit = RateLimit(5, timedelta(hours=1))
    business_name: str = "Support"

    @classmethod
    def from_store(cls, crm: Any, environ: Mapping[str, str] | None = None) -> WebSettings:
        """Settings from the store's composition root: ``open(url, config={"web": {...}})``.

        The ``"web"`` section holds the options (``base_url`` required); the secret
        key still comes from `SECRET_ENV`, never from the config.
        """
        section = dict(getattr(crm, "config", {}).get("web") or {})
        if "secret_key" in section:
            raise ValidationError(
                "config.web.secret_key", _secret_class()("***"), f"set {SECRET_ENV}"
            )
        base_url = section.pop("base_url", None)
        if base_url is None:
            raise ValidationError("config.web.base_url", None, "where the front is mounted")
        for key in ("sign_in_valid_for", "session_lifetime"):
            if isinstance(section.get(key), int | float) and not isinstance(section[key], bool):
                section[key] = timedelta(seconds=section[key])
        return cls.from_env(base_url, environ, **section)

    @classmethod
    def from_env(
        cls, base_url: str, environ: Mapping[str, str] | None = None, **options: object
    ) -> WebSettings:
        """Settings with the secret key taken from `SECRET_ENV` (refused when unset or short)."""
        env = os.environ if environ is None else environ
        key = env.get(SECRET_ENV)
        if not key:
            raise ValidationError(SECRET_ENV, None, "set it to a random key of 32+ characters")
        return cls(secret_key=key, base_url=base_url, **options)  # type: ignore[arg-type]
