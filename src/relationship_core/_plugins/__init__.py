"""Private: the plugin manager and the built-in plugins (see ``relationship_core.plugins``)."""
