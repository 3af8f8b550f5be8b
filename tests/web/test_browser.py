"""The three pages in a real browser: Debian's Chromium through Selenium, axe-core on every page.

The app is served by uvicorn on loopback; the sign-in mail goes through the
SMTP channel to an aiosmtpd server on loopback. Skipped when chromium,
chromedriver or axe-core (``npm install`` in tests/web) is missing. With
``RELATIONSHIP_CORE_WEB_SCREENSHOTS=<folder>`` each page is saved there
(``nox -s screenshots`` writes docs/img).
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Iterator
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest

webdriver = pytest.importorskip("selenium.webdriver")
pytest.importorskip("uvicorn")

from aiosmtpd.controller import Controller  # noqa: E402
from selenium.webdriver.chrome.options import Options  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.support.expected_conditions import staleness_of  # noqa: E402
from selenium.webdriver.support.wait import WebDriverWait  # noqa: E402

from relationship_core._notify import SmtpChannel  # noqa: E402
from relationship_core._support import Ticket  # noqa: E402
from relationship_core.web import WebSettings, app, survey_link  # noqa: E402

from .conftest import KEY, SAM, World, make_world  # noqa: E402
from .serve import free_port, serve  # noqa: E402

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = os.environ.get("RELATIONSHIP_CORE_WEB_SCREENSHOTS")
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

HAVE_BROWSER = Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists() and AXE.exists()
NEEDS = "needs chromium, chromedriver and axe-core (npm install --prefix tests/web)"
if not HAVE_BROWSER and os.environ.get("RELATIONSHIP_CORE_WEB_BROWSER_REQUIRED") == "1":
    raise RuntimeError(NEEDS)  # CI sets it: there the browser tests must run
pytestmark = pytest.mark.skipif(not HAVE_BROWSER, reason=NEEDS)


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(envelope.content)
        return "250 Message accepted"


class Site:
    def __init__(self, world: World, url: str, mailbox: Mailbox, driver: WebDriver) -> None:
        self.world, self.url, self.mailbox, self.driver = world, url, mailbox, driver

    def open(self, path: str) -> None:
        self.driver.get(self.url + path)

    def field(self, name: str) -> Any:
        return self.driver.find_element(By.NAME, name)

    def submit(self, selector: str = "main button[type=submit]") -> None:
        """Click and wait for the next page."""
        page = self.driver.find_element(By.TAG_NAME, "html")
        self.driver.find_element(By.CSS_SELECTOR, selector).click()
        WebDriverWait(self.driver, 10).until(staleness_of(page))

    def violations(self) -> list[str]:
        """axe-core's level A and AA violations on the current page."""
        self.driver.execute_script(AXE.read_text())
        found: list[str] = self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}})"
            ".then(r => done(r.violations.map(v => v.id + ': ' + v.help + ' ' +"
            " v.nodes.map(n => n.target.join(' ')).join(', '))));",
            AXE_TAGS,
        )
        return found

    def check(self, shot: str) -> None:
        """No axe-core level A/AA violation on the page; saved as *shot* when asked."""
        driver = self.driver
        violations = self.violations()
        assert violations == [], (shot, violations)
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            driver.save_screenshot(str(Path(SHOTS) / f"web-{shot}.png"))


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    mailbox = Mailbox()
    smtp_port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    port = free_port()
    world = make_world()
    settings = WebSettings(
        secret_key=KEY,
        base_url=f"http://127.0.0.1:{port}",
        secure_cookies=False,
        business_name="Bakery support",
    )
    world.settings = settings
    channel = SmtpChannel(
        host="127.0.0.1", port=smtp_port, sender="help@bakery.example", security="plain"
    )
    options = Options()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=900,1000",
        "--force-device-scale-factor=1",
    ):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_script_timeout(20)
    try:
        with serve(app(world.crm, channel=channel, settings=settings), port) as url:
            yield Site(world, url, mailbox, driver)
    finally:
        driver.quit()
        controller.stop()
        world.crm.close()


def test_the_support_form(site: Site) -> None:
    site.open("/")
    site.check("form")
    site.field("name").send_keys("Cleo")
    site.field("email").send_keys("not an address")
    site.submit()
    assert site.driver.find_element(By.ID, "email-error").is_displayed()
    assert site.field("name").get_attribute("value") == "Cleo"
    site.check("form-errors")
    site.field("email").clear()
    site.field("email").send_keys("cleo@example.com")
    site.field("problem").send_keys("The kettle leaks")
    site.submit()
    reference = site.driver.find_element(By.CLASS_NAME, "reference").text
    site.check("thanks")
    ticket = site.world.crm.repository(Ticket).get(reference)
    assert (ticket.name, ticket.problem) == ("Cleo", "The kettle leaks")


def _link(site: Site, before: int) -> str:
    deadline = time.monotonic() + 10
    while len(site.mailbox.messages) <= before and time.monotonic() < deadline:
        time.sleep(0.05)
    mail = message_from_bytes(site.mailbox.messages[-1])
    body = mail.get_payload(decode=True)
    assert isinstance(body, bytes)
    match = re.search(r"(http://127\.0\.0\.1:\d+/portal/sign-in/\S+)", body.decode())
    assert match is not None
    return match.group(1)


def test_the_portal(site: Site) -> None:
    world = site.world
    site.open("/portal/sign-in")
    site.check("sign-in")
    site.field("email").send_keys("ada@example.com")
    before = len(site.mailbox.messages)
    site.submit()
    site.check("sign-in-sent")
    link = _link(site, before)
    site.driver.get(link)
    site.check("sign-in-confirm")
    site.submit()
    assert site.driver.find_element(By.TAG_NAME, "h1").text == "Welcome, Ada"
    site.check("portal")
    site.open(f"/portal/tasks/{world.ada.ids['tasks']}")
    site.field("body").send_keys("Looks good")
    site.submit()
    assert "Looks good" in site.driver.find_element(By.TAG_NAME, "main").text
    site.check("task")
    site.open("/portal/tickets/new")
    site.check("new-ticket")
    for kind in ("tasks", "tickets", "invoices"):
        site.open(f"/portal/{kind}/{world.bob.ids[kind]}")
        assert site.driver.find_element(By.TAG_NAME, "h1").text == "Not found"
    site.check("not-found")
    site.driver.get(link)  # used: says so
    site.check("link-used")
    site.open("/portal")
    site.submit("nav button")
    assert "signed out" in site.driver.find_element(By.TAG_NAME, "h1").text
    site.open("/portal")
    assert site.driver.current_url.endswith("/portal/sign-in")


def test_the_survey(site: Site) -> None:
    world = site.world
    world.support.move(world.bob.ids["tickets"], "resolved", actor=SAM)
    [survey] = world.support.surveys.query(ticket_id=world.bob.ids["tickets"]).items
    site.driver.get(survey_link(survey.id, settings=world.settings))
    site.check("survey")
    site.driver.find_element(By.CSS_SELECTOR, "input[name=score][value='5']").click()
    site.field("comment").send_keys("Quick, thanks")
    site.submit()
    site.check("survey-done")
    answer = world.support.surveys.get(survey.id).answer
    assert answer is not None
    assert (answer.score, answer.comment) == (5, "Quick, thanks")
    site.driver.refresh()
    assert site.driver.find_element(By.TAG_NAME, "h1").text == "Already answered"


def test_axe_finds_what_it_should(site: Site) -> None:
    """The check can fail: a field without a label and grey-on-grey text are violations."""
    site.driver.get(
        "data:text/html,<html><body><main><input type=text>"
        "<p style='color:%23bbb;background:%23ccc'>faint</p></main></body></html>"
    )
    found = " ".join(site.violations())
    assert "label" in found
    assert "color-contrast" in found
