"""Block Kit builders: pure functions that return dicts."""
