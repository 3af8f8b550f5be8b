"""Private: the storage contract, its shared checks and the built-in backends."""
