"""Check-in prompts, the check-in and review forms, and the review sent to the employee."""

from __future__ import annotations

import json
from typing import Any

from models import Author, Checkin, CheckinGoalStatus, CheckinKind, GoalStatus, Plan
from services.checkins import STATUS_LABELS, GoalMark, has_answer, marks_by
from views import state
from views.common import actions, button, context, divider, escape, header, section
from views.ids import Action, Block, Callback, goal_field, goal_fields_in
from views.inputs import modal, option, select_input, text_input
from views.plan_messages import (
    MESSAGE_MAX_BLOCKS,
    discreet_text,
    fmt_date,
    help_line,
    long_sections,
    split_sections,
)
from views.prose import mention, say

SURFACE = "views/checkins"
STATUS_EMOJI = {
    GoalStatus.ON_TRACK: ":large_green_circle:",
    GoalStatus.AT_RISK: ":large_yellow_circle:",
    GoalStatus.OFF_TRACK: ":red_circle:",
}


def goal_status_text(status: GoalStatus | None) -> str:
    """A goal's status as words with the emoji as decoration (`:red_circle: Off track`), so a
    screen reader reads the word; `not rated yet` when there is no status."""
    if status is None:
        return ":white_circle: " + say(SURFACE, "not_rated")
    return f"{STATUS_EMOJI[status]} {STATUS_LABELS[status]}"


def status_options() -> list[dict[str, Any]]:
    """A goal's statuses as options, for the check-in, review and closing forms."""
    return [option(label, status.value) for status, label in STATUS_LABELS.items()]


def _status_input(goal_id: int, label: str, selected: GoalStatus | None) -> dict[str, Any]:
    return select_input(
        goal_field(Action.GOAL_STATUS, goal_id),
        Action.GOAL_STATUS,
        label,
        status_options(),
        selected.value if selected is not None else None,
        placeholder="Choose a status",
    )


def _text_input(
    block_id: str, action_id: str, label: str, value: str | None, *, optional: bool, hint: str = ""
) -> dict[str, Any]:
    return text_input(
        block_id, action_id, label, value, multiline=True, optional=optional, hint=hint
    )


def _goal_inputs(
    plan: Plan,
    number: int,
    status: tuple[str, GoalStatus | None],
    note: tuple[str, CheckinGoalStatus | None],
) -> list[dict[str, Any]]:
    """Goal `number`'s line, its status select and its note, each labelled and prefilled."""
    goal = plan.goals[number - 1]
    (status_label, chosen), (note_label, written) = status, note
    return [
        section(_goal_line(number, plan, number - 1)),
        _status_input(goal.id, status_label, chosen),
        _text_input(
            goal_field(Action.GOAL_NOTE, goal.id),
            Action.GOAL_NOTE,
            note_label,
            written.note if written else None,
            optional=True,
        ),
    ]


def _goal_line(number: int, plan: Plan, goal_index: int) -> str:
    goal = plan.goals[goal_index]
    return say(
        SURFACE,
        "goal_line",
        number=number,
        description=goal.description,
        target=goal.target,
        due=fmt_date(goal.due_date),
    )


def occurrence_label(checkin: Checkin) -> str:
    """`the check-in of Wed 13 Jan 2027` (or `the check-in logged on ...`)."""
    return say(
        SURFACE,
        "occurrence",
        unscheduled=checkin.kind == CheckinKind.UNSCHEDULED,
        day=fmt_date(checkin.occurrence_date),
    )


def checkin_prompt(plan: Plan, checkin: Checkin) -> dict[str, Any]:
    """The employee's prompt: their goals and a Check in button (text + blocks)."""
    blocks: list[dict[str, Any]] = [
        header(f"Check-in · {fmt_date(checkin.occurrence_date)}"),
        section(say(SURFACE, "prompt", plan_id=plan.public_id)),
    ]
    blocks += [section(_goal_line(i, plan, i - 1)) for i in range(1, len(plan.goals) + 1)]
    blocks += checkin_prompt_actions(checkin, plan.public_id)
    text = discreet_text()
    return {"text": text, "blocks": blocks[:MESSAGE_MAX_BLOCKS]}


def checkin_prompt_actions(checkin: Checkin, plan_id: str | None = None) -> list[dict[str, Any]]:
    """The buttons and hint under a prompt (Check in, Ask HR to review); says when it was
    answered once it was."""
    answered = has_answer(checkin)
    label = "Update check-in" if answered else "Check in"
    check_in = button(Action.CHECK_IN, label, str(checkin.id), primary=not answered)
    note = say(SURFACE, "recorded" if answered else "reply_in_thread")
    elements = [check_in, ask_hr_button(plan_id)] if plan_id else [check_in]
    return [
        actions(Block.CHECKIN_ACTIONS, *elements),
        context(note),
    ]


def ask_hr_button(plan_id: str) -> dict[str, Any]:
    """The employee's button that asks HR to look at their plan."""
    return button(Action.ASK_HR, "Ask HR to review", plan_id)


def checkin_modal(plan: Plan, checkin: Checkin) -> dict[str, Any]:
    """The employee's check-in form, prefilled with their earlier answer."""
    mine = marks_by(checkin, Author.EMPLOYEE)
    blocks: list[dict[str, Any]] = [
        context(
            say(SURFACE, "form_head", plan_id=plan.public_id, occurrence=occurrence_label(checkin))
        ),
    ]
    for number, goal in enumerate(plan.goals, start=1):
        earlier = mine.get(goal.id)
        status = earlier.status if earlier else None
        blocks += _goal_inputs(plan, number, ("Status", status), ("Note", earlier))
    blocks += [
        divider(),
        _text_input(
            Block.PROGRESS,
            Action.PROGRESS,
            "Overall progress",
            checkin.employee_progress,
            optional=False,
        ),
        _text_input(
            Block.BLOCKERS, Action.BLOCKERS, "Blockers", checkin.employee_blockers, optional=True
        ),
        _text_input(
            Block.SUPPORT_NEEDED,
            Action.SUPPORT_NEEDED,
            "Support you need",
            checkin.employee_support_needed,
            optional=True,
        ),
    ]
    return modal(Callback.CHECKIN, "Check-in", "Save check-in", blocks, str(checkin.id))


def mark_lines(plan: Plan, checkin: Checkin, author: Author) -> list[str]:
    """Each goal `author` marked at `checkin`, one line each: number, status, note."""
    marks = marks_by(checkin, author)
    lines = []
    for number, goal in enumerate(plan.goals, start=1):
        mark = marks.get(goal.id)
        if mark:
            note = f" · {escape(mark.note)}" if mark.note else ""
            lines.append(f"{number}. {goal_status_text(mark.status)}{note}")
    return lines


def answer_lines(checkin: Checkin) -> list[str]:
    """What the employee wrote at `checkin` (progress, blockers, support, reply), titled."""
    return [
        f"*{title}:* {escape(value)}"
        for title, value in (
            ("Progress", checkin.employee_progress),
            ("Blockers", checkin.employee_blockers),
            ("Support needed", checkin.employee_support_needed),
            ("Reply", checkin.employee_reply),
        )
        if value
    ]


def _employee_answer_blocks(plan: Plan, checkin: Checkin | None) -> list[dict[str, Any]]:
    if checkin is None:
        return []
    lines = mark_lines(plan, checkin, Author.EMPLOYEE)
    parts = ["\n".join(lines)] if lines else []
    parts += answer_lines(checkin)
    if not parts:
        return [
            context(
                say(
                    SURFACE,
                    "not_answered",
                    employee=mention(plan.employee_id),
                    occurrence=occurrence_label(checkin),
                )
            )
        ]
    blocks = [section(say(SURFACE, "answer_head", employee=mention(plan.employee_id)))]
    for part in parts:
        blocks += split_sections(part)
    return blocks


def review_modal(plan: Plan, checkin: Checkin | None, seen: int | None = None) -> dict[str, Any]:
    """The manager's review form, showing the employee's answer when there is one.

    `seen` (unscheduled reviews only): how many unscheduled check-ins the plan has now.
    """
    mine = marks_by(checkin, Author.MANAGER) if checkin else {}
    theirs = marks_by(checkin, Author.EMPLOYEE) if checkin else {}
    title = occurrence_label(checkin) if checkin else say(SURFACE, "unscheduled_today")
    blocks: list[dict[str, Any]] = [
        context(say(SURFACE, "form_head", plan_id=plan.public_id, occurrence=title))
    ]
    blocks += _employee_answer_blocks(plan, checkin)
    blocks.append(divider())
    for number, goal in enumerate(plan.goals, start=1):
        earlier = mine.get(goal.id) or theirs.get(goal.id)
        status = earlier.status if earlier else None
        blocks += _goal_inputs(
            plan, number, ("Your assessment", status), ("Feedback", mine.get(goal.id))
        )
    blocks += [
        divider(),
        _text_input(
            Block.NEXT_STEPS,
            Action.NEXT_STEPS,
            "Next steps",
            checkin.next_steps if checkin else None,
            optional=True,
        ),
        _text_input(
            Block.PRIVATE_NOTES,
            Action.PRIVATE_NOTES,
            "Private notes",
            checkin.private_notes if checkin else None,
            optional=True,
            hint=say(SURFACE, "private_hint"),
        ),
    ]
    meta: dict[str, Any] = {"checkin": checkin.id} if checkin else {"plan": plan.public_id}
    if checkin is None and seen is not None:
        meta["seen"] = seen
    return modal(Callback.REVIEW, "Check-in review", "Save review", blocks, json.dumps(meta))


def review_prompt(plan: Plan, checkin: Checkin) -> dict[str, Any]:
    """The manager's prompt to review a check-in, with a Log review button."""
    blocks = [
        section(
            say(
                SURFACE,
                "review_prompt",
                occurrence=occurrence_label(checkin),
                plan_id=plan.public_id,
                employee=mention(plan.employee_id),
                answered=has_answer(checkin),
            )
        ),
        actions(
            Block.CHECKIN_ACTIONS,
            button(Action.LOG_REVIEW, "Log review", str(checkin.id), primary=True),
        ),
    ]
    text = say(
        SURFACE, "review_prompt_text", occurrence=occurrence_label(checkin), plan_id=plan.public_id
    )
    return {"text": text, "blocks": blocks}


def review_for_employee(plan: Plan, checkin: Checkin, hr_contact: str = "") -> dict[str, Any]:
    """The review as the employee sees it: statuses, feedback and next steps, no private notes,
    and who to talk to (HR_CONTACT)."""
    theirs = marks_by(checkin, Author.MANAGER)
    blocks: list[dict[str, Any]] = [
        section(
            say(
                SURFACE,
                "reviewed",
                manager=mention(plan.manager_id),
                occurrence=occurrence_label(checkin),
                plan_id=plan.public_id,
            )
        )
    ]
    for number, goal in enumerate(plan.goals, start=1):
        mark = theirs.get(goal.id)
        if mark is None:
            continue
        feedback = f"\n{escape(mark.note)}" if mark.note else ""
        blocks += split_sections(
            f"*{number}. {escape(goal.description)}*\n{goal_status_text(mark.status)}{feedback}"
        )
    if checkin.next_steps:
        blocks += long_sections("Next steps", checkin.next_steps)
    blocks.append(context(help_line(hr_contact)))
    text = say(
        SURFACE,
        "reviewed_text",
        manager=mention(plan.manager_id),
        occurrence=occurrence_label(checkin),
        plan_id=plan.public_id,
    )
    return {"text": text, "blocks": blocks[:MESSAGE_MAX_BLOCKS]}


def read_marks(view: dict[str, Any]) -> list[GoalMark]:
    """Each goal's status and note from a check-in, review or closing form, for the goals the
    form showed (so a plan changed meanwhile cannot shift answers between goals)."""
    marks = []
    for goal_id in goal_fields_in(view, Action.GOAL_STATUS):
        raw = state.selected(view, goal_field(Action.GOAL_STATUS, goal_id), Action.GOAL_STATUS)
        status = GoalStatus(raw) if raw in {s.value for s in GoalStatus} else None
        note = state.text(view, goal_field(Action.GOAL_NOTE, goal_id), Action.GOAL_NOTE)
        marks.append(GoalMark(goal_id=goal_id, status=status, note=note))
    return marks
