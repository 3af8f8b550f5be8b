"""Templates: load-time checks against the event's shape, the sandbox, limits, locale."""

from __future__ import annotations

from datetime import UTC, date, datetime

import attrs
import pytest
from jinja2.exceptions import SecurityError, UndefinedError

from relationship_core import Money
from relationship_core._notify import (
    Category,
    EventType,
    Recipient,
    RenderLimits,
    load_template,
)
from relationship_core._notify.templates import _environment
from relationship_core.exceptions import ValidationError


@attrs.frozen
class Line:
    description: str
    amount: Money


@attrs.frozen
class PartyShape:
    name: str
    email: str


@attrs.frozen
class InvoiceShape:
    number: str
    due: date
    issued_at: datetime
    total: Money
    lines: tuple[Line, ...]


# Tests about something other than time must not fail on a loaded machine.
RELAXED = RenderLimits(max_seconds=10)

ISSUED = EventType("invoice.issued", {"party": PartyShape, "invoice": InvoiceShape})

CONTEXT = {
    "party": PartyShape("Zoë <Admin>", "zoe@example.com"),
    "invoice": InvoiceShape(
        "INV-7",
        date(2026, 3, 31),
        datetime(2026, 3, 1, 23, 30, tzinfo=UTC),
        Money("1234.50", "EUR"),
        (Line("Retainer", Money("1000", "EUR")), Line("Hours", Money("234.50", "EUR"))),
    ),
}


def load(text: str, **kwargs: object) -> object:
    kwargs.setdefault("limits", RELAXED)
    return load_template(ISSUED, subject="Invoice", text=text, category="transactional", **kwargs)  # type: ignore[arg-type]


def test_renders_text_and_escaped_html_in_the_recipients_locale() -> None:
    template = load_template(
        ISSUED,
        subject="Rechnung {{ invoice.number }}",
        text=(
            "Hallo {{ party.name }},\n"
            "{% for line in invoice.lines %}- {{ line.description }}: {{ line.amount|money }}\n"
            "{% endfor %}Summe {{ invoice.total|money }}, fällig {{ invoice.due|date }}\n"
            "Ausgestellt {{ invoice.issued_at|datetime('short') }}\n"
        ),
        html="<p>Hallo {{ party.name }}</p>",
        category=Category.TRANSACTIONAL,
        limits=RELAXED,
    )
    out = template.render(CONTEXT, Recipient(locale="de_DE", time_zone="Europe/Berlin"))
    assert out.subject == "Rechnung INV-7"
    assert "Summe 1.234,50\xa0€" in out.text
    assert "- Hours: 234,50\xa0€" in out.text
    assert "fällig 31.03.2026" in out.text
    assert "Ausgestellt 02.03.26, 00:30" in out.text  # 23:30 UTC is past midnight in Berlin
    assert "Hallo Zoë <Admin>," in out.text  # plain text is not escaped
    assert out.html == "<p>Hallo Zoë &lt;Admin&gt;</p>"
    us = template.render(CONTEXT, Recipient(locale="en_US", time_zone="America/New_York"))
    assert "€1,234.50" in us.text


@pytest.mark.parametrize(
    ("text", "line", "bad"),
    [
        ("Hi {{ party.nmae }}", 1, "party.nmae"),
        ("\n\n{{ invoice.total.amout }}", 3, "invoice.total.amout"),
        ("{% for l in invoice.lines %}\n{{ l.descripton }}{% endfor %}", 2, "l.descripton"),
        ("{{ customer.name }}", 1, "customer"),
        ("{{ party['nmae'] }}", 1, "party['nmae']"),
        ("{% set p = party %}{{ p.emial }}", 1, "p.emial"),
        ("{{ party.name.uppr() }}", 1, "party.name.uppr"),
    ],
)
def test_bad_names_fail_at_load_naming_template_line_and_name(
    text: str, line: int, bad: str
) -> None:
    with pytest.raises(ValidationError) as info:
        load(text, name="welcome")
    assert info.value.field == "templates.welcome.text"
    assert info.value.value == bad
    assert f"line {line}" in info.value.reason


def test_good_templates_pass_the_check() -> None:
    load(
        "{% for l in invoice.lines if l.amount.amount > 0 %}{{ loop.index }} {{ l.description|upper }}"
        "{% else %}none{% endfor %}{% set n = invoice.lines|length %}{{ n }}"
        "{% macro hi(who) %}Hi {{ who }}{% endmacro %}{{ hi(party.name) }}"
        "{% with x = invoice.number %}{{ x.lower() }}{% endwith %}{{ range(3)|list }}"
    )


def test_hint_suggests_the_close_name() -> None:
    with pytest.raises(ValidationError, match="did you mean 'name'"):
        load("{{ party.nmae }}")


def test_syntax_errors_and_unknown_filters_are_validation_errors() -> None:
    with pytest.raises(ValidationError, match="line 1"):
        load("{{ party.name ")
    with pytest.raises(ValidationError, match="No filter named 'nope'"):
        load("{{ party.name|nope }}")
    with pytest.raises(ValidationError, match="cannot load others"):
        load("{% include 'x' %}")


def test_every_template_declares_its_category() -> None:
    with pytest.raises(ValidationError) as info:
        load_template(ISSUED, subject="s", text="t", category="newsletter")
    assert info.value.field == "templates.invoice.issued.category"


@pytest.mark.parametrize(
    "text",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ party.__class__.__init__.__globals__ }}",
        "{{ cycler.__init__.__globals__.os }}",
        "{{ lipsum.__globals__['os'] }}",
        "{{ party.name.format.__self__ }}",
        "{{ party.__dict__ }}",
        "{{ '{0.__class__}'.format(party) }}",
    ],
)
def test_untrusted_templates_cannot_reach_python_internals(text: str) -> None:
    ev = EventType("open", {"party": object})
    if "__" in text.replace("'{0.__class__}'", ""):
        with pytest.raises(ValidationError, match="no attribute '__"):
            load_template(ev, subject="s", text=text, category="marketing")
    # Past the load-time check, the sandbox itself refuses.
    raw = _environment(html=False).from_string(text)
    with pytest.raises((SecurityError, UndefinedError)):
        raw.render(party=CONTEXT["party"])


def test_context_is_immutable_to_templates() -> None:
    ev = EventType("e", {"items": list[int]})
    template = load_template(
        ev, subject="s", text="{{ items.append(1) }}", category="marketing", limits=RELAXED
    )
    items = [1]
    with pytest.raises(ValidationError):
        template.render({"items": items}, Recipient())
    assert items == [1]


@pytest.mark.parametrize(
    "text",
    [
        "{{ 'a' * 10**7 }}",
        "{{ [1] * 10**7 }}",
        "{{ 10 ** 100000 }}",
        "{{ 'x'|center(10**8) }}",
        "{{ 'x'.ljust(10**8) }}",
        "{% for i in range(10**6) %}{% endfor %}",
        "{% for i in range(9000) %}{{ 'y' * 100 }}{% endfor %}",
    ],
)
def test_output_size_is_bounded(text: str) -> None:
    template = load_template(
        EventType("e", {}), subject="s", text=text, category="marketing", limits=RELAXED
    )
    with pytest.raises(ValidationError, match="limit") as info:
        template.render({}, Recipient())
    assert info.value.field == "templates.e.text"


def test_render_time_is_bounded() -> None:
    slow = "{% for i in range(5000) %}{% for j in range(5000) %}{% endfor %}{% endfor %}"
    template = load_template(
        EventType("e", {}), subject="s", text=slow, category="marketing",
        limits=RenderLimits(max_seconds=0.05),
    )  # fmt: skip
    with pytest.raises(ValidationError, match="longer than 50 ms"):
        template.render({}, Recipient())


def test_a_subject_that_renders_a_line_break_is_refused() -> None:
    ev = EventType("e", {"party": PartyShape})
    template = load_template(
        ev, subject="Hi {{ party.name }}", text="t", category="marketing", limits=RELAXED
    )
    evil = PartyShape("x\r\nBcc: victim@example.com", "x@example.com")
    with pytest.raises(ValidationError) as info:
        template.render({"party": evil}, Recipient())
    assert info.value.field == "templates.e.subject"


def test_missing_context_names_are_refused() -> None:
    with pytest.raises(ValidationError, match="needs invoice"):
        load("{{ party.name }}").render({"party": CONTEXT["party"]}, Recipient())  # type: ignore[attr-defined]


def test_notification_from_template_carries_key_category_and_event() -> None:
    template = load_template(
        ISSUED, subject="{{ invoice.number }}", text="t", category="transactional"
    )
    n = template.notification(
        CONTEXT, Recipient("ada@example.com"), idempotency_key="invoice.issued:INV-7",
        created_at=datetime(2026, 3, 1, tzinfo=UTC), payload={"number": "INV-7"},
    )  # fmt: skip
    assert (n.subject, n.category, n.event_type) == (
        "INV-7",
        Category.TRANSACTIONAL,
        "invoice.issued",
    )
