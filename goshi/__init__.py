"""goshi: a terminal chat CLI for coding work."""

__version__ = "0.1.0"
