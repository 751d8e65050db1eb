"""The clock (APScheduler) and the dispatcher that sends what the outbox owes."""
