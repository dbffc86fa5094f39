"""Talking to models: types, errors, the pooled HTTP client, retries and the backends."""
