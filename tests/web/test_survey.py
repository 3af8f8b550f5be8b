"""The survey page: a signed link, answered once from 1 to 5; expired or used links say so."""

from __future__ import annotations

from datetime import timedelta

from starlette.testclient import TestClient

from relationship_core._support import Survey
from relationship_core.web import survey_link

from .conftest import SAM, World, csrf


def _survey(world: World) -> tuple[Survey, str]:
    world.support.move(world.ada.ids["tickets"], "resolved", actor=SAM)
    [survey] = world.support.surveys.query(ticket_id=world.ada.ids["tickets"]).items
    link = survey_link(survey.id, settings=world.settings)
    assert link.startswith("http://testserver/survey/")
    return survey, link.removeprefix("http://testserver")


def test_a_survey_is_answered_once(client: TestClient, world: World) -> None:
    survey, path = _survey(world)
    page = client.get(path)
    assert page.status_code == 200
    assert "<legend>" in page.text
    assert page.text.count('type="radio"') == 5
    token = csrf(client, path)
    done = client.post(path, data={"csrf": token, "score": "4", "comment": "Quick <i>fix</i>"})
    assert done.status_code == 200
    assert "Thank you" in done.text
    answer = world.support.surveys.get(survey.id).answer
    assert answer is not None
    assert (answer.score, answer.comment) == (4, "Quick <i>fix</i>")
    again = client.post(path, data={"csrf": token, "score": "1"})
    assert again.status_code == 410
    assert "Already answered" in again.text
    assert client.get(path).status_code == 410


def test_a_bad_score_is_shown_next_to_the_scale(client: TestClient, world: World) -> None:
    survey, path = _survey(world)
    token = csrf(client, path)
    for score in ("", "0", "6", "4.5", "five"):
        page = client.post(path, data={"csrf": token, "score": score, "comment": "kept"})
        assert page.status_code == 422
        assert 'id="score-error"' in page.text
        assert ">kept</textarea>" in page.text
    long = client.post(path, data={"csrf": token, "score": "3", "comment": "x" * 5001})
    assert long.status_code == 422
    assert world.support.surveys.get(survey.id).answer is None


def test_an_expired_survey_says_so(client: TestClient, world: World) -> None:
    survey, path = _survey(world)
    token = csrf(client, path)
    world.clock.advance(survey.expires_at - survey.sent_at + timedelta(seconds=1))
    page = client.get(path)
    assert page.status_code == 410
    assert "expired" in page.text
    assert client.post(path, data={"csrf": token, "score": "5"}).status_code == 410


def test_a_tampered_or_guessed_survey_link_is_unknown(client: TestClient, world: World) -> None:
    survey, path = _survey(world)
    assert client.get(f"/survey/{survey.id}").status_code == 404  # the bare id is not a link
    # a middle character (the last one of base64 may carry only padding bits)
    forged = path[:-10] + ("A" if path[-10] != "A" else "B") + path[-9:]
    assert client.get(forged).status_code == 404
    token = csrf(client)
    assert (
        client.post(f"/survey/{survey.id}", data={"csrf": token, "score": "5"}).status_code == 404
    )
    assert world.support.surveys.get(survey.id).answer is None
