"""Any text in any field: never a server error, never rendered unescaped."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from .conftest import World, csrf

SPECIAL = "<>&\"'"
texts = st.text(alphabet=st.sampled_from("ab <>&\"'\r\n\x00\t/=é\u2028"), max_size=30)
forms = st.fixed_dictionaries(
    {"name": texts, "email": st.none() | texts, "product": texts, "problem": texts,
     "priority": st.sampled_from(["", "high"]) | texts},
)  # fmt: skip
FIXTURES = [HealthCheck.function_scoped_fixture]


@settings(max_examples=40, deadline=None, suppress_health_check=FIXTURES)
@given(typed=forms)
def test_the_form_answers_and_escapes_whatever_is_typed(
    client: TestClient, world: World, typed: dict[str, str | None]
) -> None:
    # Marked so the page can be searched for them; no e-mail: a valid one, so tickets are made.
    fields = {key: f"Q{value}Z" for key, value in typed.items() if value is not None}
    if typed["priority"] in {"", "high"}:
        fields["priority"] = str(typed["priority"])
    fields.setdefault("email", "ada@example.com")
    page = client.post("/", data={**fields, "csrf": csrf(client)})
    assert page.status_code in {200, 422}
    for key, value in fields.items():
        if any(c in (typed[key] or "") for c in SPECIAL):
            assert value not in page.text, key
    world.clock.advance(world.settings.per_email.window)  # stay under both rate limits


@settings(max_examples=25, deadline=None, suppress_health_check=FIXTURES)
@given(path=st.text(alphabet=st.sampled_from("abc/-_.%0<>\"'"), max_size=40))
def test_any_portal_or_survey_url_is_a_page_or_a_refusal(client: TestClient, path: str) -> None:
    for prefix in ("/portal/", "/survey/", "/portal/tasks/"):
        response = client.get(prefix + path, follow_redirects=False)
        assert response.status_code in {200, 303, 307, 404, 405, 410}
        assert "<script" not in response.text
