"""Private: the application layer (mapping, unit of work, repositories, the facade)."""
