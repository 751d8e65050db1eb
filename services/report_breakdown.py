"""The org report's breakdowns: plans by manager, by team and by month, as SQL aggregates.

"Team" is the Slack workspace a plan was opened in (`plans.team_id`; Slack calls a
workspace a team). The data model has no org-chart team: a manager's reports are the
closest thing to one, and that is the breakdown by manager. Month is the calendar month
of the plan's start date. Drafts and withdrawn drafts never reached an employee and are
left out, as in the report's other figures. One statement: GROUPING SETS on PostgreSQL
(one pass over the plans), three GROUP BYs in a UNION ALL on SQLite.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Executable,
    String,
    case,
    func,
    literal,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import Session

from models import Outcome, Plan, PlanStatus
from services.access import UNSENT_STATUSES, Actor
from services.plans import OPEN_STATUSES
from services.report_csv import require_report_access


@dataclass(frozen=True)
class Group:
    """One manager's, team's or month's plans in figures."""

    key: str  # a manager's user id, a Slack team id, or a month as YYYY-MM
    plans: int  # sent plans, open or closed
    open: int  # active, acknowledged, extended or paused
    closed: int
    successful: int
    unsuccessful: int
    cancelled: int


@dataclass(frozen=True)
class Breakdown:
    """The report's figures grouped three ways, each list sorted by its key."""

    today: date
    by_manager: list[Group] = field(default_factory=list)
    by_team: list[Group] = field(default_factory=list)
    by_month: list[Group] = field(default_factory=list)


def _month(db: Session) -> ColumnElement[str]:
    if db.get_bind().dialect.name == "postgresql":
        return func.to_char(Plan.start_date, "YYYY-MM")
    return func.substr(type_coerce(Plan.start_date, String), 1, 7)  # ISO text in SQLite


def _tally(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.sum(case((condition, 1), else_=0))


def breakdown(db: Session, actor: Actor, today: date) -> Breakdown:
    """Plans by manager, by team and by month (HR only; NotAllowed for anyone else)."""
    require_report_access(actor)
    figures = (
        func.count(),
        _tally(Plan.status.in_(OPEN_STATUSES)),
        _tally(Plan.status == PlanStatus.CLOSED),
        _tally(Plan.outcome == Outcome.SUCCESSFUL),
        _tally(Plan.outcome == Outcome.UNSUCCESSFUL),
        _tally(Plan.outcome == Outcome.CANCELLED),
    )
    sent = Plan.status.not_in(UNSENT_STATUSES)
    keys = {
        "manager": type_coerce(Plan.manager_id, String),
        "team": type_coerce(Plan.team_id, String),
        "month": _month(db),
    }
    groups: dict[str, list[Group]] = {name: [] for name in keys}
    statement: Executable
    if db.get_bind().dialect.name == "postgresql":
        # One pass over the plans: GROUPING SETS, and grouping() says which key a row has.
        manager, team, month = (key.label(name) for name, key in keys.items())
        which = case(
            (func.grouping(keys["manager"]) == 0, "manager"),
            (func.grouping(keys["team"]) == 0, "team"),
            else_="month",
        )
        statement = (
            select(which, func.coalesce(manager, team, month), *figures)
            .where(sent)
            .group_by(func.grouping_sets(keys["manager"], keys["team"], keys["month"]))
        )
    else:  # SQLite has no GROUPING SETS: three GROUP BYs in one statement
        statement = union_all(
            *(
                select(literal(name), key, *figures).where(sent).group_by(key)
                for name, key in keys.items()
            )
        )
    for dimension, key, *counts in db.execute(statement):
        groups[dimension].append(Group(str(key), *(int(n or 0) for n in counts)))
    for rows in groups.values():
        rows.sort(key=lambda group: group.key)
    return Breakdown(today, groups["manager"], groups["team"], groups["month"])
