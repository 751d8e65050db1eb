"""The HTTP edge: what a request must be before Bolt, a listener or the error handler sees it."""
