"""What the web front stores: sign-in links (by their hash) and rate-limit windows.

Contributed by the built-in "web" plugin (``relationship_core.web``) to every
store, so several server processes share them. Importing this module needs no
web framework: the kinds exist whether the ``web`` extra is installed or not.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

from relationship_core._app.mapping import KindMapping
from relationship_core._domain.validators import non_empty_text

__all__ = ["RATE_WINDOWS", "SIGN_INS", "WEB_MAPPINGS", "RateWindow", "SignIn"]


@attrs.define(kw_only=True)
class SignIn:
    """An e-mailed sign-in link: stored by the SHA-256 of its token, used once before it expires.

    Attributes:
        id: The hex SHA-256 of the token (the token itself is only in the e-mail).
        party_id: Whose portal it opens.
        email: The contact's address it was sent to.
        created_at: When it was sent.
        expires_at: The first instant it no longer works.
        used_at: When it was used (``None``: not yet).
        signed_out_at: When the session it started was ended (its cookie no longer works).
    """

    id: str = attrs.field(validator=non_empty_text)
    party_id: str = attrs.field(validator=non_empty_text)
    email: str = attrs.field(validator=non_empty_text)
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
    signed_out_at: datetime | None = None

    def usable(self, at: datetime) -> bool:
        """Not used yet and not expired at *at*."""
        return self.used_at is None and self.created_at <= at < self.expires_at


@attrs.define(kw_only=True)
class RateWindow:
    """Requests counted for one key in one fixed window (``id`` is ``scope:key:window``).

    Attributes:
        id: ``<scope>:<key>:<window start, epoch seconds>``.
        scope: What is limited (``"form.address"``, ``"form.email"``, ...).
        count: Requests seen in the window.
        ends_at: When the window closes (old windows can be deleted after it).
    """

    id: str = attrs.field(validator=non_empty_text)
    scope: str = attrs.field(validator=non_empty_text)
    count: int
    ends_at: datetime


SIGN_INS: KindMapping[SignIn] = KindMapping(
    "web_sign_in",
    SignIn,
    indexed={
        "party_id": ("str", lambda s: s.party_id),
        "expires_at": ("datetime", lambda s: s.expires_at),
    },
    references={"party_id": "party"},
)

RATE_WINDOWS: KindMapping[RateWindow] = KindMapping(
    "web_rate_window",
    RateWindow,
    indexed={"ends_at": ("datetime", lambda w: w.ends_at)},
    versions=False,  # a counter bumped on every request: its old values are no history
)

#: Every web mapping, in registration order.
WEB_MAPPINGS: tuple[KindMapping[Any], ...] = (SIGN_INS, RATE_WINDOWS)
