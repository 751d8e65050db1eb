"""Talking to Slack outside a listener: the user directory and the outbox sender."""
