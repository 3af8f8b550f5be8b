"""``python -m relationship_core`` runs the ``relationship-core`` command."""

import sys

from relationship_core._cli import main

sys.exit(main())
