"""A password in a storage URL never shows in a message, repr, .value, chain or command output."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from relationship_core._storage.url import redact
from relationship_core.exceptions import RelationshipCoreError
from relationship_core.plugins import KindSpec, Schema, get_plugin_manager, parse_url

SECRET = "Hunter2SecretXyz"  # noqa: S105 - the distinctive password the test hunts for
SCHEMA = Schema([KindSpec("thing", {"name": "str"})])
SRC = Path(__file__).resolve().parents[2] / "src"

URLS = [
    f"postgresql://crm:{SECRET}@127.0.0.1:1/crm?pool_size=abc",
    f"postgresql://crm:{SECRET}@127.0.0.1:1/crm?timeout=soon",
    f"postgresql://crm:{SECRET}@[::1/crm",  # malformed: unclosed IPv6 host
    f"postgresql:crm:{SECRET}@127.0.0.1/crm",  # no //
    f"postgresqlx://crm:{SECRET}@127.0.0.1/crm",  # unknown scheme
    f"postgresql://crm:{SECRET}@127.0.0.1:1/crm",  # nothing listens on port 1
    f"postgresql://crm:{SECRET}%zz@127.0.0.1:1/crm",  # bad percent-encoding libpq echoes
    f"postgresql://crm@127.0.0.1:1/crm?password={SECRET}",
    f"sqlite://crm:{SECRET}@host/x.db",
    f"memory://crm:{SECRET}@host",
]


def _everything(error: BaseException) -> str:
    """Every text an error carries: message, repr, .value, and its whole chain."""
    texts = []
    seen: list[BaseException] = []
    link: BaseException | None = error
    while link is not None and link not in seen:
        seen.append(link)
        texts += [str(link), repr(link), repr(getattr(link, "value", "")), repr(link.args)]
        link = link.__cause__ or link.__context__
    return "\n".join(texts)


@pytest.mark.parametrize("url", URLS)
def test_no_error_path_shows_the_password(url: str) -> None:
    with pytest.raises(RelationshipCoreError) as info:
        get_plugin_manager().open_backend(url, SCHEMA).close()
    assert SECRET not in _everything(info.value)
    assert "***" in _everything(info.value) or "crm" not in str(info.value)


def test_options_are_named_by_field() -> None:
    with pytest.raises(RelationshipCoreError) as info:
        get_plugin_manager().open_backend(URLS[0], SCHEMA)
    assert (info.value.field, info.value.value) == ("pool_size", "abc")  # type: ignore[attr-defined]


def test_url_repr_and_redaction() -> None:
    url = parse_url(f"postgresql://crm:{SECRET}@db:5432/crm?schema=a&password={SECRET}")
    assert SECRET not in repr(url)
    assert SECRET not in url.redacted
    assert url.redacted == "postgresql://crm:***@db:5432/crm?schema=a&password=***"
    assert redact("postgresql://crm@db/crm") == "postgresql://crm@db/crm"
    assert redact(f"postgresql://u:p@ss{SECRET}@db/x") == "postgresql://u:***@db/x"


@pytest.mark.parametrize("url", [URLS[0], URLS[2], URLS[5]])
def test_command_output_hides_the_password(url: str) -> None:
    done = subprocess.run(  # noqa: S603 - our own command
        [sys.executable, "-m", "relationship_core._cli", "migrate", url],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(SRC)},
        timeout=60,
    )
    assert done.returncode == 2
    assert SECRET not in done.stdout + done.stderr
    assert "relationship-core migrate:" in done.stderr


def test_demo_store_line_hides_the_password() -> None:
    url = f"postgresql://crm:{SECRET}@127.0.0.1:1/crm"
    done = subprocess.run(  # noqa: S603 - our own command
        [sys.executable, "-m", "relationship_core._cli", "demo", "--store", url],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(SRC)},
        timeout=60,
    )
    assert SECRET not in done.stdout + done.stderr
    # The story never starts, so no header: the error names the store, redacted.
    assert "postgresql://crm:***@127.0.0.1:1/crm" in done.stderr
