"""A plan as typed into the form, and the rules it must meet before it is opened."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta

from models import Cadence, Plan
from services.errors import required
from services.users import Profile

MAX_GOALS = 10
MIN_PLAN_DAYS = 14
MAX_PLAN_DAYS = 180
MAX_START_AHEAD_DAYS = 365  # a plan starts within a year; checked before any date arithmetic
LONG_TEXT_MAX = 3000
GOAL_TEXT_MAX = 500
LENGTH_PRESETS = (30, 60, 90)
_STEP_DUE = re.compile(r"\s*[(\[]?\s*by\s+(\d{4}-\d{2}-\d{2})\s*[)\]]?\s*$", re.IGNORECASE)


@dataclass
class GoalDraft:
    """A SMART goal as typed: what, how it is measured, the target, the due date."""

    description: str = ""
    measure: str = ""
    target: str = ""
    due_date: date | None = None


@dataclass
class StepDraft:
    """An action step, with an optional due date."""

    description: str
    due_date: date | None = None


@dataclass
class PlanDraft:
    """Everything the manager typed into the plan form."""

    employee_id: str | None = None
    issues: str = ""
    expectations: str = ""
    goals: list[GoalDraft] = field(default_factory=lambda: [GoalDraft()])
    steps_text: str = ""
    support: str = ""
    cadence: Cadence | None = Cadence.WEEKLY
    weekday: int | None = None
    start_date: date | None = None
    length_days: int | None = 60
    end_date: date | None = None
    consequences: str = ""
    send_after_meeting: bool = False  # the manager sends it themselves after meeting

    def resolved_end(self) -> date | None:
        """The end date: the one typed, else the start plus the chosen length."""
        if self.end_date is not None:
            return self.end_date
        if self.start_date is not None and self.length_days in LENGTH_PRESETS:
            return self.start_date + timedelta(days=self.length_days)
        return None


def digest(draft: PlanDraft) -> str:
    """A fingerprint of everything in `draft`, as typed (any change gives another)."""
    typed = json.dumps(asdict(draft), sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(typed.encode()).hexdigest()


@dataclass(frozen=True)
class Schedule:
    """When a validated draft runs and when it checks in."""

    start_date: date
    end_date: date
    cadence: Cadence
    weekday: int


def schedule_of(draft: PlanDraft) -> Schedule:
    """The schedule of a draft `validate` accepted (InvalidPlan naming a field it lacks)."""
    return Schedule(
        start_date=required(draft.start_date, "start_date", "Choose the date the plan starts."),
        end_date=required(
            draft.resolved_end(), "end_date", "Choose an end date, or a plan length above."
        ),
        cadence=required(draft.cadence, "cadence", "Choose how often check-ins happen."),
        weekday=required(
            draft.weekday, "weekday", "Choose a weekday, Monday to Friday, for check-ins."
        ),
    )


def write_content(plan: Plan, draft: PlanDraft, schedule: Schedule) -> None:
    """Put a validated draft's texts and its schedule on `plan` (goals and steps are apart)."""
    plan.issues = draft.issues.strip()
    plan.expectations = draft.expectations.strip()
    plan.support = draft.support.strip()
    plan.consequences = draft.consequences.strip()
    plan.start_date = schedule.start_date
    plan.end_date = schedule.end_date
    plan.cadence = schedule.cadence
    plan.checkin_weekday = schedule.weekday


def version_problems(draft: PlanDraft, manager_id: str, plan: Plan, today: date) -> dict[str, str]:
    """What is wrong with `draft` as the next version of `plan` (its dates may stay as they are)."""
    return validate(
        draft,
        manager_id=manager_id,
        today=today,
        employee=None,
        open_plan_id=None,
        current_start=plan.start_date,
        current_end=plan.end_date,
    )


def parse_steps(text: str) -> tuple[list[StepDraft], list[str]]:
    """One step per line, each optionally ending in `by YYYY-MM-DD`; returns steps and problems."""
    steps: list[StepDraft] = []
    problems: list[str] = []
    for number, line in enumerate((ln.strip() for ln in text.splitlines() if ln.strip()), 1):
        line = line.lstrip("-*• ").strip()
        match = _STEP_DUE.search(line)
        due: date | None = None
        if match:
            try:
                due = date.fromisoformat(match[1])
            except ValueError:
                problems.append(f"Step {number}: {match[1]} is not a real date.")
                continue
            line = line[: match.start()].rstrip(" -–—,;:")
        if not line:
            problems.append(f"Step {number} has a date but no description.")
            continue
        steps.append(StepDraft(line, due))
    return steps, problems


def _too_long(text: str, limit: int) -> str | None:
    if len(text) > limit:
        return f"Keep this to {limit} characters (it has {len(text)})."
    return None


def _fmt(day: date) -> str:
    return f"{day:%-d %b %Y}"


def validate(
    draft: PlanDraft,
    *,
    manager_id: str,
    today: date,
    employee: Profile | None,
    open_plan_id: str | None,
    current_start: date | None = None,
    current_end: date | None = None,
) -> dict[str, str]:
    """Every broken rule as {field: message}; empty when the draft can become a plan.

    `employee` is the chosen person as Slack describes them (None when unknown to Slack);
    `open_plan_id` names another open plan of theirs, if any. When amending a plan, pass its
    `current_start` and `current_end`: the employee is not checked again, an unchanged start
    may be past, and an unchanged end may lie beyond 180 days (after an extension).
    """
    errors: dict[str, str] = {}
    if current_start is None:
        _check_employee(
            draft, errors, manager_id=manager_id, employee=employee, open_id=open_plan_id
        )
    for name, text, what in (
        ("issues", draft.issues, "Describe the issues, with dated examples."),
        ("expectations", draft.expectations, "Describe the standard that is expected."),
        ("consequences", draft.consequences, "Say what follows if the standard is not met."),
    ):
        if not text.strip():
            errors[name] = what
        elif problem := _too_long(text, LONG_TEXT_MAX):
            errors[name] = problem
    for name, text in (("support", draft.support), ("steps", draft.steps_text)):
        if problem := _too_long(text, LONG_TEXT_MAX):
            errors[name] = problem
    if draft.cadence is None:
        errors["cadence"] = "Choose how often check-ins happen."
    if draft.weekday is None or not 0 <= draft.weekday <= 4:
        errors["weekday"] = "Choose a weekday, Monday to Friday, for check-ins."
    start, end = _check_dates(draft, errors, today, current_start, current_end)
    _check_goals(draft, errors, start, end)
    steps, step_problems = parse_steps(draft.steps_text)
    if step_problems and "steps" not in errors:
        errors["steps"] = " ".join(step_problems)
    elif start and end and "steps" not in errors:
        outside = [s for s in steps if s.due_date and not start <= s.due_date <= end]
        if outside:
            errors["steps"] = (
                f"Step dates must fall within the plan ({_fmt(start)} to {_fmt(end)}): "
                + ", ".join(_fmt(s.due_date) for s in outside if s.due_date)
                + "."
            )
    return errors


def _check_employee(
    draft: PlanDraft,
    errors: dict[str, str],
    *,
    manager_id: str,
    employee: Profile | None,
    open_id: str | None,
) -> None:
    if not draft.employee_id:
        errors["employee"] = "Choose the employee this plan is for."
    elif draft.employee_id == manager_id:
        errors["employee"] = "You can't open a plan for yourself."
    elif employee is None:
        errors["employee"] = "Slack doesn't know this person; choose someone in your workspace."
    elif employee.is_bot:
        errors["employee"] = f"{employee.display_name} is a bot, not a person."
    elif employee.deleted:
        errors["employee"] = f"{employee.display_name}'s account is deactivated."
    elif open_id is not None:
        errors["employee"] = (
            f"{employee.display_name} already has an open plan, {open_id}. "
            "Amend, extend or close that one instead."
        )


def _check_dates(
    draft: PlanDraft,
    errors: dict[str, str],
    today: date,
    current_start: date | None = None,
    current_end: date | None = None,
) -> tuple[date | None, date | None]:
    start = draft.start_date
    if start is None:
        errors["start_date"] = "Choose the date the plan starts."
        return None, None
    if start < today and start != current_start:
        errors["start_date"] = f"The plan can't start in the past (today is {_fmt(today)})."
        return None, None
    latest = today + timedelta(days=MAX_START_AHEAD_DAYS)
    if start > latest and start != current_start:
        errors["start_date"] = (
            f"Choose a start date within a year of today, by {_fmt(latest)} at the latest."
        )
        return None, None
    if draft.length_days is not None and draft.length_days not in LENGTH_PRESETS:
        errors["length"] = "Choose a length from the list, or an end date below."
        return start, None
    if draft.end_date is not None and draft.length_days is not None:
        preset_end = start + timedelta(days=draft.length_days)
        if preset_end != draft.end_date:
            errors["end_date"] = (
                f"A {draft.length_days}-day plan ends on {_fmt(preset_end)}. Choose "
                '"Until the end date" as the length to use this date, or clear it.'
            )
            return start, None
    end = draft.resolved_end()
    if end is None:
        errors["end_date"] = "Choose an end date, or a plan length above."
        return start, None
    if end <= start:
        errors["end_date"] = "The end date must be after the start date."
        return start, None
    days = (end - start).days
    extended_end_kept = current_end is not None and end == current_end and days > MAX_PLAN_DAYS
    if not MIN_PLAN_DAYS <= days <= MAX_PLAN_DAYS and not extended_end_kept:
        errors["end_date"] = (
            f"A plan runs {MIN_PLAN_DAYS} to {MAX_PLAN_DAYS} days; this one runs {days}."
        )
        return start, None
    return start, end


def _check_goals(
    draft: PlanDraft, errors: dict[str, str], start: date | None, end: date | None
) -> None:
    if len(draft.goals) > MAX_GOALS:
        errors[f"goal.{MAX_GOALS}.description"] = f"A plan has at most {MAX_GOALS} goals."
    if not draft.goals:
        errors["goal.0.description"] = "Add at least one goal."
    for index, goal in enumerate(draft.goals[:MAX_GOALS]):
        for part, text, missing in (
            ("description", goal.description, "Say what the goal is."),
            ("measure", goal.measure, "Say how it will be measured."),
            ("target", goal.target, "Give the target to reach."),
        ):
            if not text.strip():
                errors[f"goal.{index}.{part}"] = missing
            elif problem := _too_long(text, GOAL_TEXT_MAX):
                errors[f"goal.{index}.{part}"] = problem
        if goal.due_date is None:
            errors[f"goal.{index}.due_date"] = "Choose the date this goal is due."
        elif start and end and not start <= goal.due_date <= end:
            errors[f"goal.{index}.due_date"] = (
                f"Due dates must fall within the plan ({_fmt(start)} to {_fmt(end)})."
            )
