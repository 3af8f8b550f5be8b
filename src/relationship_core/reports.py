"""Reports over an open store: plain attrs data, ``.to_frame()``, ``_repr_html_`` and plots.

Each report is computed by the store's exact aggregates (one ``GROUP BY``
statement on SQLite and PostgreSQL); money is summed per currency, never
across currencies. pandas and matplotlib (the ``analytics`` extra) are only
imported by ``to_frame()`` and ``plot()``.
"""

from relationship_core import _reports
from relationship_core._reports import *  # noqa: F403 - the names of the one export list below

# One export list per package: the private package's, re-exported as it is.
__all__: list[str] = []
__all__ += _reports.__all__
