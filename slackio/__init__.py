"""Talking to Slack outside Bolt's listeners: the user directory (users.info, cached)."""
