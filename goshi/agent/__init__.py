"""The turn: a request's events become an answer (and, with tools, more requests)."""
