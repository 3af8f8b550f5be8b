"""Typed repositories: application code gets ``Repository[Retainer]`` without casts.

mypy --strict (the project's lint, over tests/) checks this module: each
assignment below would fail it if the repository were ``Repository[Any]``
and the annotation wrong, or if a cast were needed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import relationship_core as rc
from relationship_core import Money, Person, Retainer, RetainerTerms
from relationship_core._app.billing_kinds import RETAINERS
from relationship_core._app.repository import Repository

SNIPPET = """
from relationship_core import CRM, Retainer
from relationship_core._app.billing_kinds import RETAINERS

def status_of(crm: CRM, rid: str) -> str:
    retainer: Retainer = crm.repository(Retainer).get(rid)
    with crm.unit_of_work() as uow:
        same: Retainer = uow[RETAINERS].get(rid)
        other: Retainer | None = uow.repository(Retainer).find(rid)
    return retainer.status.value + same.status.value + str(other)

def wrong(crm: CRM) -> int:
    return crm.repository(Retainer).get("r")  # error: Retainer is not int
"""


def test_repositories_are_typed_by_class_and_by_mapping() -> None:
    with rc.open("memory://") as crm:
        crm.parties.add(Person(id="P1", name="Ada"))
        terms = RetainerTerms(Money("300.00", "EUR"), rc.BillingCycle.monthly(), "UTC")
        rc.BillingService(crm).start_retainer("P1", terms, retainer_id="R1")
        by_class: Repository[Retainer] = crm.repository(Retainer)
        retainer: Retainer = by_class.get("R1")
        with crm.unit_of_work() as uow:
            same: Retainer = uow[RETAINERS].get("R1")
        assert retainer == same
        with pytest.raises(rc.exceptions.ValidationError, match="no kind maps"):
            crm.repository(int)


@pytest.mark.slow
def test_mypy_strict_accepts_the_typed_snippet_and_rejects_the_wrong_one(tmp_path: Path) -> None:
    # mypy comes with the lint extra; the README's test command installs only the test one.
    pytest.importorskip("mypy", reason="needs mypy (pip install -e '.[lint]')")
    module = tmp_path / "snippet.py"
    module.write_text(SNIPPET, encoding="utf-8")
    src = Path(__file__).resolve().parents[2] / "src"
    done = subprocess.run(  # noqa: S603 - mypy of the running interpreter
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(module)],
        capture_output=True,
        text=True,
        check=False,
        env={"MYPYPATH": str(src), "PATH": ""},
        cwd=tmp_path,
    )
    errors = [line for line in done.stdout.splitlines() if line.startswith("snippet.py")]
    assert len(errors) == 1, done.stdout
    assert "snippet.py:13" in errors[0]
    assert '"Retainer"' in errors[0]
