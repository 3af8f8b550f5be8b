"""The hook markers and the hook specifications (kept free of heavy imports)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from relationship_core._plugins.specs import StorageBackendSpec

__all__ = ["PROJECT", "HookSpecs", "hookimpl", "hookspec"]

#: The one project string: hook markers, the PluginManager and the entry-point group.
PROJECT = "relationship_core"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


class HookSpecs:
    """The hooks a relationship_core plugin may implement."""

    @hookspec
    def relationship_core_storage_backends(self) -> Sequence[StorageBackendSpec]:  # type: ignore[empty-body]
        """Contribute storage backends, each chosen by the scheme of a storage URL.

        Called once, when the plugin manager first needs the backends. Return
        the backends this plugin offers; each names the URL schemes it serves
        and a factory building it from the parsed URL and the declared kinds.
        Import heavy drivers inside the factory, not at module level, so that
        merely installing the plugin costs nothing.

        Returns:
            A sequence of `StorageBackendSpec`
            (possibly empty). Two plugins offering the same scheme make
            opening any store fail with ``DuplicateBackendError`` naming both.

        Example plugin (a module listed under the ``relationship_core``
        entry-point group)::

            from relationship_core.plugins import StorageBackendSpec, hookimpl

            def _open(url, schema):
                from my_package.backend import MyBackend  # lazy
                return MyBackend(url.path, schema)

            @hookimpl
            def relationship_core_storage_backends():
                return [StorageBackendSpec("mine", ("mine",), _open)]
        """
