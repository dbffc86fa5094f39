"""What the user sees. The UI consumes answers and events; it never speaks HTTP."""
