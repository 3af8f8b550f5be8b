"""Child process of test_copy_resume: ``copy_worker.py SRC DST BATCH`` (a URL or a .jsonl path each).

Copies with `copy_any`, printing one line per committed batch, so the test
can kill it part way through.
"""

from __future__ import annotations

import sys
from typing import Any

from relationship_core_jsonl.backend import JsonlBackend

import relationship_core._app.billing_kinds  # noqa: F401 - the demo's kinds
from relationship_core._app.facade import open_store
from relationship_core._storage.dump import copy_any
from relationship_core._storage.schema import Schema


def open_any(where: str, schema: Schema | None) -> object:
    """A JSON-lines journal for a ``.jsonl`` path, else the store at the URL."""
    if where.endswith(".jsonl"):
        assert schema is not None
        return JsonlBackend(where, schema)
    return open_store(where).backend


def main() -> None:
    source, destination, batch = sys.argv[1], sys.argv[2], int(sys.argv[3])
    backend: Any = open_store("memory://").backend
    schema = backend.schema  # the kinds every store here has
    src, dst = open_any(source, schema), open_any(destination, schema)

    def show(_table: str, done: int, total: int) -> None:
        sys.stdout.write(f"{done}/{total}\n")
        sys.stdout.flush()

    copy_any(src, dst, batch=batch, progress=show)
    sys.stdout.write("copied\n")


if __name__ == "__main__":
    main()
