"""A mountable web front: the support form, the client portal and the survey page.

``relationship_core.web.app(crm, channel=..., settings=...)`` returns an ASGI
application (Starlette, from the ``web`` extra) to mount in your own::

    app.mount("/crm", relationship_core.web.app(crm, channel=mail, settings=settings))

See docs/web.md. The kinds it stores (sign-in links, rate-limit windows) are
in every store; only `app` needs the extra.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from relationship_core.web._kinds import RateWindow, SignIn
from relationship_core.web._links import survey_link
from relationship_core.web._settings import SECRET_ENV, RateLimit, WebSettings

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from relationship_core._app.facade import CRM
    from relationship_core._notify.channel import Channel
    from relationship_core._support.service import SupportService

__all__ = ["SECRET_ENV", "RateLimit", "RateWindow", "SignIn", "WebSettings", "app", "survey_link"]


def app(
    crm: CRM,
    *,
    channel: Channel,
    settings: WebSettings | None = None,
    support: SupportService | None = None,
    templates: Sequence[str | Path] = (),
) -> Starlette:
    """The web front for *crm* as an ASGI application to mount.

    Args:
        crm: The open store (endpoints call it from the thread pool).
        channel: Sends the portal's sign-in e-mails (``SmtpChannel`` in production).
        settings: The secret key, the public base URL, lifetimes and limits
            (default: `WebSettings.from_store`, the store's ``"web"`` config section
            with the key from `SECRET_ENV`).
        support: The support service tickets go through (default: ``SupportService(crm)``).
        templates: Folders searched before the built-in templates: a file of
            the same name (``base.html``, ``form.html``, ...) overrides it.
    """
    from relationship_core.web._asgi import build

    if settings is None:
        settings = WebSettings.from_store(crm)
    return build(crm, channel=channel, settings=settings, support=support, templates=templates)
