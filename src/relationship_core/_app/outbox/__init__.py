"""The outbox (application layer): stored notifications delivered by the job runner.

`service` holds `Notifications`; `delivery` the job handler `deliver_job`;
`settings` the queues, retry schedules and channels built once per store (they
need the ``notify`` extra); `stored` the kinds (importable without it). The
built-in "notify" plugin (`relationship_core._plugins.notify`) contributes them.
"""

__all__: list[str] = []
