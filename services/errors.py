"""Domain errors that services raise and the one error handler turns into messages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

T = TypeVar("T")


class DomainError(Exception):
    """Base of every error a user can be told about."""


class PlanNotFound(DomainError):
    """No plan (or check-in) with that id that the caller may act on.

    Forbidden looks exactly like this, so the two cannot be told apart.
    """

    def __init__(self, public_id: str, what: str = "plan") -> None:
        super().__init__(f"No {what} {public_id} was found.")
        self.public_id = public_id


class NotAllowed(DomainError):
    """The caller may not do this at all (an HR-only command, say); never about one plan."""

    def __init__(self, message: str = "You are not allowed to do that.") -> None:
        super().__init__(message)


class InvalidPlan(DomainError):
    """Input that breaks a rule; `errors` maps each offending field name to its message."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = dict(errors)


class UsageError(DomainError):
    """A command was typed with the wrong arguments; the message says how to use it."""


def required(value: T | None, field: str, message: str) -> T:
    """`value`, which the checks before have made sure of; if they missed it, InvalidPlan
    naming `field` with `message` (a clear answer in the form, never a crash)."""
    if value is None or value == "":
        raise InvalidPlan({field: message})
    return value
