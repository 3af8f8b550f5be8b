"""Sessions CI and developers run: ``nox`` runs the default list, ``nox -s bench`` the benchmarks."""

from __future__ import annotations

import glob
import os

import nox

nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["tests", "slow", "lint", "typecheck", "docs", "examples"]

PYTHON = ["3.11"]
POSTGRES_DSN = "postgresql://postgres@127.0.0.1:5432/test"


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """The test suite, including the code in README.md and docs/ (Sybil); ``slow`` has the rest."""
    session.install("-e", ".[test]")
    session.run("pytest", *session.posargs)


@nox.session(python=PYTHON)
def slow(session: nox.Session) -> None:
    """The tests marked slow, which the plain ``pytest`` leaves out: kill-and-race runs, long fits."""
    session.install("-e", ".[test,lint]")  # lint: mypy, for the typed-snippet test
    session.run("pytest", "-m", "slow", *session.posargs)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff: lint and format check."""
    session.install("ruff>=0.6")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    """mypy --strict over src, tests, examples and benchmarks."""
    session.install("-e", ".[lint]")
    session.run("mypy")


@nox.session(python=PYTHON)
def docs(session: nox.Session) -> None:
    """Build the docs with warnings as errors and run the code they show."""
    session.install("-e", ".[docs,test]")
    session.run("mkdocs", "build", "--strict", "--site-dir", "site")
    session.run("pytest", "README.md", "docs", "-p", "no:randomly")


@nox.session(python=PYTHON)
def examples(session: nox.Session) -> None:
    """Run every example script."""
    session.install("-e", ".[all]")
    env = {"RELATIONSHIP_CORE_EXAMPLE_OUTPUT": session.create_tmp()}
    for script in sorted(glob.glob("examples/*.py")):
        session.run("python", script, env=env)


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Run the benchmarks side by side with their comparisons; pass --quick for a smoke run."""
    session.install("-e", ".[bench]")
    # lifetimes 0.11.3 is the comparison for the analytics benchmarks; it is
    # installed only here, never as a dependency of the library.
    session.install("lifetimes==0.11.3", "pandas<3")
    # The rule-engine peers of benchmarks/bench_rules.py, likewise only here (the
    # script skips any that is missing, so --quick runs without them).
    session.install(
        "rule-engine",
        "business-rules",
        "durable-rules",
        "simpleeval",
        "cel-python",
        "panzi-json-logic",
    )
    env = {
        "RELATIONSHIP_CORE_TEST_POSTGRES_DSN": os.environ.get(
            "RELATIONSHIP_CORE_TEST_POSTGRES_DSN", POSTGRES_DSN
        )
    }
    for script in sorted(glob.glob("benchmarks/bench_*.py")):
        session.run("python", script, *session.posargs, env=env)


@nox.session(python=PYTHON)
def screenshots(session: nox.Session) -> None:
    """The web front's pages as docs/img/web-*.png: the browser tests, saving each page they check.

    Needs Debian's chromium and chromedriver; ``npm install`` in tests/web fetches axe-core.
    """
    session.install("-e", ".[test]")
    session.run("npm", "install", "--no-audit", "--no-fund", "--prefix", "tests/web", external=True)
    env = {"RELATIONSHIP_CORE_WEB_SCREENSHOTS": os.path.join(os.getcwd(), "docs", "img")}
    session.run("pytest", "tests/web/test_browser.py", "-p", "no:randomly", env=env)
