"""The outbox (application layer): stored notifications delivered by the job runner.

`service` holds `Notifications` and the job handler `deliver_job` (they need
the ``notify`` extra); `stored` the kinds (importable without it). The
built-in "notify" plugin (`relationship_core._plugins.notify`) contributes them.
"""

__all__: list[str] = []
