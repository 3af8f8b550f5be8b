"""relationship_core never needs numpy; relationship_core.analytics says which extra it needs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from relationship_core import analytics
from relationship_core.exceptions import MissingExtraError, RelationshipCoreError

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )


def test_core_package_does_not_import_numpy_or_pandas() -> None:
    result = _run(
        "import sys, relationship_core\n"
        "print(sorted(m for m in ('numpy', 'pandas', 'scipy', 'matplotlib') if m in sys.modules))"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_analytics_imports_matplotlib_only_when_plotting() -> None:
    result = _run(
        "import sys, relationship_core.analytics as a\n"
        "print('matplotlib' in sys.modules)\n"
        "import matplotlib\n"
        "matplotlib.use('Agg')\n"
        "import pandas as pd\n"
        "a.plot_cohort_retention(pd.DataFrame([[1.0, 0.5]]))\n"
        "print('matplotlib.pyplot' in sys.modules)\n"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True"]


@pytest.mark.parametrize("package", ["numpy", "scipy", "pandas", "matplotlib"])
def test_missing_package_names_the_extra(package: str) -> None:
    # sys.modules[name] = None makes both find_spec and import treat it as absent.
    result = _run(
        f"import sys\nsys.modules[{package!r}] = None\n"
        "from relationship_core.exceptions import MissingExtraError\n"
        "try:\n"
        "    import relationship_core.analytics\n"
        "except MissingExtraError as exc:\n"
        "    print(isinstance(exc, ImportError), exc.extra, exc.package)\n"
        "    print(exc)\n"
    )
    assert result.returncode == 0, result.stderr
    first, message = result.stdout.splitlines()
    assert first == f"True analytics {package}"
    assert "pip install 'relationship-core[analytics]'" in message
    assert repr(package) in message


def test_missing_extra_error_is_an_import_error_of_the_hierarchy() -> None:
    exc = MissingExtraError("relationship_core.analytics", "analytics", "numpy")
    assert isinstance(exc, ImportError)
    assert isinstance(exc, RelationshipCoreError)
    assert exc.name == "numpy"


def test_public_names_resolve_and_are_documented() -> None:
    assert len(set(analytics.__all__)) == len(analytics.__all__)
    text = "\n".join(p.read_text(encoding="utf-8") for p in DOCS.rglob("*.md"))
    for name in analytics.__all__:
        assert getattr(analytics, name).__doc__, f"{name} has no docstring"
        documented = (
            f"::: relationship_core.analytics.{name}\n" in text
            or f"::: relationship_core.analytics.models.{name}\n" in text
        )
        assert documented, f"document {name} in docs/"


def test_data_preparation_imports_without_the_models_module() -> None:
    result = _run(
        "import sys\nsys.modules['relationship_core.analytics.models'] = None\n"
        "import relationship_core.analytics as a\n"
        "print('BetaGeoModel' in a.__all__, 'customer_summary' in a.__all__)\n"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True"]
