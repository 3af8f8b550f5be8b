"""The ASGI application: routes, the support form and the survey page (the portal is in _portal)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from relationship_core._app.facade import CRM
from relationship_core._app.repository import require_store
from relationship_core._notify.channel import Channel
from relationship_core._support.csat import Survey
from relationship_core._support.forms import FormSubmission, TicketChannel, TicketPriority
from relationship_core._support.kinds import normalise_email
from relationship_core._support.service import SupportService
from relationship_core.exceptions import InvalidTransitionError, ValidationError
from relationship_core.web._guard import Guard, RateLimiter, client_address
from relationship_core.web._links import unsign
from relationship_core.web._pages import Pages
from relationship_core.web._portal import Portal
from relationship_core.web._settings import WebSettings

__all__ = ["Front", "build"]

_FIELDS = ("name", "email", "product", "problem", "priority")
_FIELD_LIMITS = {"name": 200, "email": 320, "product": 200, "problem": 20_000, "comment": 5000}
HONEYPOT = "website"


def text(form: FormData, name: str) -> str:
    """A form field as text ('' when missing or a file)."""
    value = form.get(name)
    return value if isinstance(value, str) else ""


class Front:
    """The endpoints; the library is synchronous, so they call it in the thread pool."""

    def __init__(
        self,
        crm: CRM,
        channel: Channel,
        settings: WebSettings,
        support: SupportService | None,
        templates: Sequence[str | Path],
    ) -> None:
        require_store("crm", crm)
        if not isinstance(settings, WebSettings):
            raise ValidationError("settings", settings, "give WebSettings (WebSettings.from_env)")
        self.crm = crm
        self.settings = settings
        self.support = support or SupportService(crm)
        self.pages = Pages(crm, settings, templates)
        self.limits = RateLimiter(crm)
        self.portal = Portal(self, channel)

    # -- shared ---------------------------------------------------------------------------
    async def limited(self, request: Request, scope: str, email: str | None = None) -> None:
        """Count the request against the per-address limit (and *email*'s); 429 when over."""
        hits = [(scope, client_address(request.scope, self.settings), self.settings.per_address)]
        if email is not None:
            hits.append((scope.replace(".address", ".email"), email, self.settings.per_email))
        wait = await run_in_threadpool(self.limits.hit_all, hits)
        if wait is not None:
            seconds = str(max(1, int(wait.total_seconds())))
            raise HTTPException(429, "Too many requests.", headers={"Retry-After": seconds})

    async def posted(self, request: Request, scope: str | None) -> FormData:
        """The posted form after the CSRF check (403); counted in *scope* unless ``None``.

        Posts that know their e-mail address only later pass ``None`` and call
        `limited` themselves, so both limits are counted in one unit of work.
        """
        if scope is not None:
            await self.limited(request, scope)
        form = await request.form(max_files=0, max_fields=20, max_part_size=self.settings.max_body)
        if not self.pages.csrf_ok(request, form.get("csrf")):
            raise HTTPException(403, "The form expired or did not come from this site; reload it.")
        return form

    # -- support form ---------------------------------------------------------------------
    async def form_page(self, request: Request) -> Response:
        """GET: the empty support form."""
        return self.pages.render(request, "form.html", values={}, errors={}, **self.choices())

    async def form_post(self, request: Request) -> Response:
        """POST: a ticket, or the form again with errors next to their fields."""
        form = await self.posted(request, None)
        values = {name: text(form, name) for name in _FIELDS}
        if text(form, HONEYPOT):  # a bot filled the hidden field: look successful, store nothing
            await self.limited(request, "form.address")
            return self.pages.render(request, "thanks.html", reference=None)
        errors = check_fields(values)
        submission = None
        if not errors:
            try:
                submission = FormSubmission(
                    name=values["name"],
                    email=values["email"].strip(),
                    problem=values["problem"],
                    product=values["product"].strip() or None,
                    priority=values["priority"] or "normal",
                    channel=TicketChannel.FORM,
                )
            except ValidationError as exc:
                errors[exc.field if exc.field in _FIELDS else "problem"] = exc.reason
        if submission is None:
            await self.limited(request, "form.address")
            return self.pages.render(
                request, "form.html", 422, values=values, errors=errors, **self.choices()
            )
        await self.limited(request, "form.address", normalise_email(submission.email))
        ticket = await run_in_threadpool(self.support.submit, submission)
        return self.pages.render(request, "thanks.html", reference=ticket.id)

    def choices(self) -> dict[str, Any]:
        """What the priority menu offers."""
        return {"priorities": [p.value for p in TicketPriority]}

    # -- survey ---------------------------------------------------------------------------
    def _survey(self, request: Request) -> Survey | None:
        survey_id = unsign(self.settings, "survey", request.path_params["token"])
        if not isinstance(survey_id, str):
            return None
        found: Survey | None = self.crm.repository(Survey).find(survey_id)
        return found

    async def survey_page(self, request: Request) -> Response:
        """GET: the 1-5 question, or why it cannot be answered."""
        survey = await run_in_threadpool(self._survey, request)
        return self._survey_state(request, survey) or self.pages.render(
            request, "survey.html", values={}, errors={}, survey=survey
        )

    def _survey_state(self, request: Request, survey: Survey | None) -> Response | None:
        if survey is None:
            return self.pages.render(request, "link.html", 404, reason="unknown")
        if survey.answer is not None:
            return self.pages.render(request, "link.html", 410, reason="answered")
        if not survey.is_open(self.crm.clock.now()):
            return self.pages.render(request, "link.html", 410, reason="expired")
        return None

    async def survey_post(self, request: Request) -> Response:
        """POST: the answer, once."""
        form = await self.posted(request, "survey.address")
        survey = await run_in_threadpool(self._survey, request)
        closed = self._survey_state(request, survey)
        if closed is not None or survey is None:
            return closed or self.pages.render(request, "link.html", 404, reason="unknown")
        values = {"score": text(form, "score"), "comment": text(form, "comment")}
        errors: dict[str, str] = {}
        if values["score"] not in {"1", "2", "3", "4", "5"}:
            errors["score"] = "Choose a score from 1 to 5."
        if len(values["comment"]) > _FIELD_LIMITS["comment"] or "\x00" in values["comment"]:
            errors["comment"] = "At most 5000 characters."
        if errors:
            return self.pages.render(
                request, "survey.html", 422, values=values, errors=errors, survey=survey
            )
        try:
            await run_in_threadpool(
                self.support.answer_survey, survey.id, int(values["score"]), values["comment"]
            )
        except InvalidTransitionError:  # answered meanwhile, in another request
            return self.pages.render(request, "link.html", 410, reason="answered")
        except ValidationError as exc:
            if exc.field != "at":
                raise
            return self.pages.render(request, "link.html", 410, reason="expired")
        return self.pages.render(request, "survey_done.html")

    # -- errors ---------------------------------------------------------------------------
    async def http_error(self, request: Request, exc: Exception) -> Response:
        """Our error page for 403, 404, 405, 429 (headers kept)."""
        assert isinstance(exc, HTTPException)  # noqa: S101 - registered for HTTPException only
        if exc.status_code == 303:  # signed out: to the sign-in page
            return RedirectResponse((exc.headers or {})["Location"], status_code=303)
        response = self.pages.render(
            request, "error.html", exc.status_code, code=exc.status_code, detail=exc.detail
        )
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response


def check_fields(values: dict[str, str]) -> dict[str, str]:
    """The support form's errors by field (required fields, sizes), before the library's checks."""
    errors: dict[str, str] = {}
    for name, label in (
        ("name", "your name"),
        ("email", "your e-mail address"),
        ("problem", "what the problem is"),
    ):
        if not values[name].strip():
            errors[name] = f"Please give {label}."
    for name, limit in _FIELD_LIMITS.items():
        if name in values and len(values[name]) > limit:
            errors[name] = f"At most {limit} characters."
    if "email" not in errors:
        try:
            normalise_email(values["email"])
        except ValidationError:
            errors["email"] = "Give an e-mail address like name@example.com."
    if values.get("priority") and values["priority"] not in {p.value for p in TicketPriority}:
        errors["priority"] = "Choose one of the listed priorities."
    return {name: errors[name] for name in _FIELDS if name in errors}  # in the page's order


def build(
    crm: CRM,
    *,
    channel: Channel,
    settings: WebSettings,
    support: SupportService | None,
    templates: Sequence[str | Path],
) -> Starlette:
    """The Starlette application (see `relationship_core.web.app`)."""
    front = Front(crm, channel, settings, support, templates)
    portal = front.portal
    static = Path(__file__).parent / "static"
    routes = [
        Route("/", front.form_page, methods=["GET"], name="form"),
        Route("/", front.form_post, methods=["POST"], name="form_post"),
        Route("/survey/{token}", front.survey_page, methods=["GET"], name="survey"),
        Route("/survey/{token}", front.survey_post, methods=["POST"], name="survey_post"),
        *portal.routes(),
        Mount("/static", StaticFiles(directory=static), name="static"),
    ]
    application = Starlette(
        routes=routes,
        middleware=[Middleware(Guard, max_body=settings.max_body)],
        exception_handlers={HTTPException: front.http_error},
    )
    application.state.front = front
    return application
