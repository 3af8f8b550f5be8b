"""Privacy and accountability: erase, export and the history of a record (`relationship_core.privacy`)."""
