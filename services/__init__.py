"""Domain logic: plain functions over a Session, no Slack imports."""
