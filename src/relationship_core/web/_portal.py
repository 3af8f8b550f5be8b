"""The client portal: sign-in by an e-mailed link, the client view, comments, new tickets.

Every page reads `client_view` for the signed-in party and looks the id up
*in that view*: what is not in it (another party's, internal) is a 404, the
same answer as an id that does not exist.
"""

from __future__ import annotations

import logging
import secrets
from typing import TYPE_CHECKING, Any, Protocol

from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from relationship_core._domain.actor import Actor
from relationship_core._notify.channel import Channel
from relationship_core._notify.message import Notification, Recipient
from relationship_core._notify.results import Outcome
from relationship_core._support.forms import FormSubmission, TicketChannel
from relationship_core._support.kinds import normalise_email
from relationship_core._support.portal import ClientView, client_view
from relationship_core._work.comments import SubjectKind
from relationship_core._work.service import WorkService
from relationship_core.exceptions import ConflictError, ValidationError
from relationship_core.web._kinds import SignIn
from relationship_core.web._links import hash_token
from relationship_core.web._pages import Session

if TYPE_CHECKING:
    from starlette.datastructures import FormData

    from relationship_core._app.facade import CRM
    from relationship_core._support.service import SupportService
    from relationship_core.web._pages import Pages
    from relationship_core.web._settings import WebSettings

__all__ = ["Portal", "PortalHost"]


class PortalHost(Protocol):
    """What the portal takes from the application around it (``_asgi.Front``)."""

    crm: CRM
    settings: WebSettings
    support: SupportService
    pages: Pages

    async def limited(self, request: Request, scope: str, email: str | None = None) -> None:
        """Count the request against the rate limits; 429 when over."""

    async def posted(self, request: Request, scope: str | None) -> FormData:
        """The posted form after the CSRF check."""

    def choices(self) -> dict[str, Any]:
        """What the priority menu offers."""


log = logging.getLogger("relationship_core.web")

#: URL segment -> what the client view holds and the comment subject (None: no comments).
_KINDS: dict[str, SubjectKind | None] = {
    "tasks": SubjectKind.TASK,
    "requirements": SubjectKind.REQUIREMENT,
    "tickets": SubjectKind.TICKET,
    "invoices": None,
    "credit-notes": None,
}


def find_item(view: ClientView, kind: str, item_id: str) -> Any:
    """The record *item_id* of *kind* in *view*, or a 404."""
    pools: dict[str, tuple[Any, ...]] = {
        "tasks": tuple(t.task for t in view.tasks),
        "requirements": view.requirements,
        "tickets": view.tickets,
        "invoices": view.invoices,
        "credit-notes": view.credit_notes,
    }
    for item in pools.get(kind, ()):
        if item.id == item_id:
            return item
    raise HTTPException(404, "There is no such page.")


class Portal:
    """The portal's endpoints (see `relationship_core.web.app`)."""

    def __init__(self, front: PortalHost, channel: Channel) -> None:
        self.front = front
        self.channel = channel
        self.crm = front.crm
        self.pages = front.pages
        self.settings = front.settings

    def routes(self) -> list[Route]:
        """The portal's routes, under ``/portal``."""
        return [
            Route("/portal/sign-in", self.sign_in_page, methods=["GET"], name="sign_in"),
            Route("/portal/sign-in", self.sign_in_post, methods=["POST"], name="sign_in_post"),
            Route("/portal/sign-in/{token}", self.link_page, methods=["GET"], name="link"),
            Route("/portal/sign-in/{token}", self.link_post, methods=["POST"], name="link_post"),
            Route("/portal/sign-out", self.sign_out, methods=["POST"], name="sign_out"),
            Route("/portal", self.overview, methods=["GET"], name="portal"),
            Route("/portal/tickets/new", self.ticket_page, methods=["GET"], name="new_ticket"),
            Route("/portal/tickets/new", self.ticket_post, methods=["POST"], name="ticket_post"),
            Route("/portal/{kind}/{id}", self.item, methods=["GET"], name="item"),
            Route("/portal/{kind}/{id}/comments", self.comment, methods=["POST"], name="comment"),
        ]

    # -- signing in -----------------------------------------------------------------------
    async def sign_in_page(self, request: Request) -> Response:
        """GET: ask for the contact's e-mail address."""
        return self.pages.render(request, "sign_in.html", values={}, errors={})

    async def sign_in_post(self, request: Request) -> Response:
        """POST: e-mail a link if the address is a known contact (the answer is the same)."""
        form = await self.front.posted(request, None)
        email = form.get("email")
        email = email.strip() if isinstance(email, str) else ""
        try:
            key = normalise_email(email) if len(email) <= 320 else ""
        except ValidationError:
            key = ""
        if not key:
            await self.front.limited(request, "sign_in.address")
            errors = {"email": "Give the e-mail address you write to us from."}
            return self.pages.render(
                request, "sign_in.html", 422, values={"email": email}, errors=errors
            )
        await self.front.limited(request, "sign_in.address", key)
        response = self.pages.render(request, "sign_in_sent.html", email=email)
        # After the answer: its timing must not tell a client's address from a stranger's.
        response.background = BackgroundTask(self._send_link_logged, key)
        return response

    def _send_link_logged(self, email: str) -> None:
        try:
            self._send_link(email)
        except Exception:  # the answer is gone already: log it, for the operator
            log.exception("sign-in link not sent")

    def _send_link(self, email: str) -> None:
        party_id = self.front.support.party_for(email)
        if party_id is None:
            return
        token = secrets.token_urlsafe(32)
        now = self.crm.clock.now()
        with self.crm.unit_of_work(actor=Actor.form("portal")) as uow:
            party = uow.parties.get(party_id)
            uow.repository(SignIn).add(
                SignIn(
                    id=hash_token(token),
                    party_id=party_id,
                    email=email,
                    created_at=now,
                    expires_at=now + self.settings.sign_in_valid_for,
                )
            )
        link = f"{self.settings.base_url}/portal/sign-in/{token}"
        minutes = int(self.settings.sign_in_valid_for.total_seconds() // 60)
        try:
            recipient = Recipient(address=email, name=party.name)
        except ValidationError:  # a name that cannot be a header: address only
            recipient = Recipient(address=email)
        note = Notification(
            idempotency_key=f"web-sign-in:{hash_token(token)[:40]}",
            event_type="web.sign_in",
            recipient=recipient,
            subject=f"Your sign-in link: {self.settings.business_name}",
            text=(
                f"Open this link to sign in to your portal. It works once, for {minutes} "
                f"minutes:\n\n{link}\n\nIf you did not ask for it, ignore this message.\n"
            ),
            created_at=now,
        )
        [result] = self.channel.deliver([note])
        if result.outcome is not Outcome.DELIVERED:
            log.warning("sign-in mail not delivered: %s", result.outcome.value)

    def _link(self, token: str) -> SignIn | None:
        found: SignIn | None = self.crm.repository(SignIn).find(hash_token(token))
        return found if found is not None and found.usable(self.crm.clock.now()) else None

    async def link_page(self, request: Request) -> Response:
        """GET: a button to sign in (mail scanners that follow links do not use it up)."""
        sign_in = await run_in_threadpool(self._link, request.path_params["token"])
        if sign_in is None:
            return self.pages.render(request, "link.html", 410, reason="sign_in")
        return self.pages.render(
            request, "sign_in_confirm.html", token=request.path_params["token"]
        )

    async def link_post(self, request: Request) -> Response:
        """POST: use the link up, in one unit of work, and start the session."""
        await self.front.posted(request, "sign_in.address")
        session = await run_in_threadpool(self._consume, request.path_params["token"])
        if session is None:
            return self.pages.render(request, "link.html", 410, reason="sign_in")
        response = RedirectResponse(request.url_for("portal").path, status_code=303)
        self.pages.sign_in(request, response, session)
        return response

    def _consume(self, token: str) -> Session | None:
        now = self.crm.clock.now()
        try:
            with self.crm.unit_of_work(actor=Actor.form("portal")) as uow:
                links = uow.repository(SignIn)
                found = links.find(hash_token(token))
                if found is None or not found.usable(now):
                    return None
                found.used_at = now
                links.update(found)
                return Session(found.party_id, found.email, found.id)
        except ConflictError:  # used at the same moment by another request
            return None

    async def sign_out(self, request: Request) -> Response:
        """POST: end the session (its cookie stops working on every device that holds it)."""
        await self.front.posted(request, "portal.address")
        session = self.pages.session(request)
        if session is not None:
            await run_in_threadpool(self._end, session)
        response = self.pages.render(request, "signed_out.html")
        self.pages.sign_out(request, response)
        return response

    def _end(self, session: Session) -> None:
        with self.crm.unit_of_work(actor=Actor.form("portal")) as uow:
            links = uow.repository(SignIn)
            found = links.find(session.sign_in_id)
            if found is not None and found.signed_out_at is None:
                found.signed_out_at = self.crm.clock.now()
                links.update(found)

    def _live(self, session: Session) -> bool:
        found = self.crm.repository(SignIn).find(session.sign_in_id)
        return (
            found is not None and found.party_id == session.party_id and found.signed_out_at is None
        )

    # -- the signed-in pages --------------------------------------------------------------
    async def _session(self, request: Request) -> Session:
        """The signed-in contact (a signed, unexpired cookie of a session not signed out)."""
        session = self.pages.session(request)
        if session is None or not await run_in_threadpool(self._live, session):
            raise HTTPException(303, headers={"Location": request.url_for("sign_in").path})
        return session

    async def _view(self, session: Session) -> ClientView:
        return await run_in_threadpool(client_view, self.crm, session.party_id)

    async def overview(self, request: Request) -> Response:
        """GET: everything about the collaboration."""
        session = await self._session(request)
        view = await self._view(session)
        return self.pages.render(request, "portal.html", session=session, view=view)

    async def item(self, request: Request) -> Response:
        """GET: one task, requirement document, ticket, invoice or credit note of the party."""
        session = await self._session(request)
        kind, item_id = request.path_params["kind"], request.path_params["id"]
        view = await self._view(session)
        return self._item_page(request, session, view, kind, find_item(view, kind, item_id))

    def _item_page(
        self,
        request: Request,
        session: Session,
        view: ClientView,
        kind: str,
        record: Any,
        *,
        status: int = 200,
        errors: dict[str, str] | None = None,
        values: dict[str, str] | None = None,
    ) -> Response:
        subject = _KINDS[kind]
        comments = [
            c for c in view.comments if c.subject_kind is subject and c.subject_id == record.id
        ]
        progress = next((t.progress for t in view.tasks if t.task.id == record.id), None)
        return self.pages.render(
            request,
            "item.html",
            status,
            session=session,
            kind=kind,
            item=record,
            progress=progress,
            comments=comments,
            can_comment=subject is not None,
            errors=errors or {},
            values=values or {},
        )

    async def comment(self, request: Request) -> Response:
        """POST: a shared comment by the contact on a task, requirement or ticket they see."""
        session = await self._session(request)
        form = await self.front.posted(request, "portal.address")
        kind, item_id = request.path_params["kind"], request.path_params["id"]
        view = await self._view(session)
        record = find_item(view, kind, item_id)
        subject = _KINDS[kind]
        if subject is None:
            raise HTTPException(404, "There is no such page.")
        body = form.get("body")
        body = body if isinstance(body, str) else ""
        if not body.strip() or len(body) > 5000 or "\x00" in body:
            errors = {"body": "Write a comment of at most 5000 characters."}
            return self._item_page(
                request,
                session,
                view,
                kind,
                record,
                status=422,
                errors=errors,
                values={"body": body},
            )
        await run_in_threadpool(
            WorkService(self.crm).comment,
            subject,
            record.id,
            body,
            actor=Actor.person(f"contact:{session.email}"),
            visibility="shared",
            author_kind="contact",
        )
        return RedirectResponse(request.url_for("item", kind=kind, id=record.id).path, 303)

    async def ticket_page(self, request: Request) -> Response:
        """GET: a new ticket from the portal."""
        session = await self._session(request)
        return self.pages.render(
            request,
            "new_ticket.html",
            session=session,
            values={},
            errors={},
            **self.front.choices(),
        )

    async def ticket_post(self, request: Request) -> Response:
        """POST: the ticket, as the signed-in contact (channel ``portal``)."""
        session = await self._session(request)
        form = await self.front.posted(request, None)
        values = {n: form.get(n) for n in ("product", "problem", "priority")}
        clean = {k: v if isinstance(v, str) else "" for k, v in values.items()}
        view = await self._view(session)
        errors: dict[str, str] = {}
        if not clean["problem"].strip():
            errors["problem"] = "Please say what the problem is."
        submission = None
        if not errors:
            try:
                submission = FormSubmission(
                    name=view.party.name,
                    email=session.email,
                    problem=clean["problem"],
                    product=clean["product"].strip() or None,
                    priority=clean["priority"] or "normal",
                    channel=TicketChannel.PORTAL,
                )
            except ValidationError as exc:
                errors[exc.field if exc.field in clean else "problem"] = exc.reason
        if submission is None:
            await self.front.limited(request, "portal.address")
            return self.pages.render(
                request,
                "new_ticket.html",
                422,
                session=session,
                values=clean,
                errors=errors,
                **self.front.choices(),
            )
        await self.front.limited(request, "portal.address", normalise_email(session.email))
        ticket = await run_in_threadpool(self.front.support.submit, submission)
        return RedirectResponse(request.url_for("item", kind="tickets", id=ticket.id).path, 303)
