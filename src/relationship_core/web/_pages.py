"""Rendering: Jinja2 with autoescape, template overrides first, CSRF and session cookies."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from relationship_core._app.facade import CRM
from relationship_core.web._links import same, sign, unsign
from relationship_core.web._settings import WebSettings

__all__ = ["CSRF_COOKIE", "SESSION_COOKIE", "Pages", "Session"]

CSRF_COOKIE = "rc_csrf"
SESSION_COOKIE = "rc_session"


@attrs.frozen
class Session:
    """A signed-in contact: their party, the address they signed in with, the link they used."""

    party_id: str
    email: str
    sign_in_id: str


class Pages:
    """Renders pages and checks the signed cookies and tokens."""

    def __init__(
        self, crm: CRM, settings: WebSettings, templates: Sequence[str | Path] = ()
    ) -> None:
        self.crm = crm
        self.settings = settings
        self.env = Environment(
            loader=ChoiceLoader(
                [
                    *(FileSystemLoader(str(folder)) for folder in templates),
                    PackageLoader("relationship_core.web", "templates"),
                ]
            ),
            autoescape=select_autoescape(default=True, default_for_string=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )

    # -- rendering ------------------------------------------------------------------------
    def render(
        self,
        request: Request,
        template: str,
        status: int = 200,
        session: Session | None = None,
        **context: Any,
    ) -> Response:
        """*template* with the CSRF token, the URL helper and the business name."""
        nonce = request.cookies.get(CSRF_COOKIE) or ""
        fresh = not nonce or len(nonce) > 100
        if fresh:
            nonce = secrets.token_urlsafe(24)

        def url(name: str, **params: str) -> str:
            return str(request.url_for(name, **params).path)

        body = self.env.get_template(template).render(
            csrf=sign(self.settings, "csrf", nonce),
            url=url,
            business=self.settings.business_name,
            session=session,
            **context,
        )
        response = HTMLResponse(body, status_code=status)
        if fresh:
            response.set_cookie(
                CSRF_COOKIE,
                nonce,
                httponly=True,
                samesite="strict",
                secure=self.settings.secure_cookies,
                path=_path(request),
            )
        return response

    # -- checks ---------------------------------------------------------------------------
    def csrf_ok(self, request: Request, token: object) -> bool:
        """The form's token signs the request's CSRF cookie."""
        nonce = request.cookies.get(CSRF_COOKIE)
        if not nonce or not isinstance(token, str):
            return False
        signed = unsign(self.settings, "csrf", token)
        return isinstance(signed, str) and same(signed, nonce)

    def session(self, request: Request) -> Session | None:
        """The signed-in contact, if the session cookie is ours and not expired."""
        cookie = request.cookies.get(SESSION_COOKIE)
        if not cookie:
            return None
        data = unsign(self.settings, "session", cookie)
        if not isinstance(data, dict):
            return None
        party, email, link, until = data.get("p"), data.get("e"), data.get("s"), data.get("x")
        if not all(isinstance(v, str) for v in (party, email, link)) or not isinstance(until, int):
            return None
        if self.crm.clock.now().timestamp() >= until:
            return None
        return Session(str(party), str(email), str(link))

    def sign_in(self, request: Request, response: Response, session: Session) -> None:
        """Set the session cookie (signed, HttpOnly, SameSite=Lax, with a lifetime)."""
        lifetime = self.settings.session_lifetime
        until = int((self.crm.clock.now() + lifetime).timestamp())
        value = sign(
            self.settings,
            "session",
            {"p": session.party_id, "e": session.email, "s": session.sign_in_id, "x": until},
        )
        response.set_cookie(
            SESSION_COOKIE,
            value,
            max_age=int(lifetime.total_seconds()),
            httponly=True,
            samesite="lax",
            secure=self.settings.secure_cookies,
            path=_path(request),
        )

    def sign_out(self, request: Request, response: Response) -> None:
        """Drop the session cookie."""
        response.delete_cookie(
            SESSION_COOKIE,
            path=_path(request),
            httponly=True,
            samesite="lax",
            secure=self.settings.secure_cookies,
        )


def _path(request: Request) -> str:
    """The cookies' path: where the front is mounted (``/`` at the root)."""
    root = str(request.scope.get("root_path") or "").rstrip("/")
    return root + "/" if root else "/"
