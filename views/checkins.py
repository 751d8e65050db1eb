"""Check-in prompts, the check-in and review forms, and the review sent to the employee."""

from __future__ import annotations

import json
from typing import Any

from models import Author, Checkin, CheckinKind, GoalStatus, Plan
from services.checkins import STATUS_LABELS, GoalMark, has_answer, marks_by
from views import state
from views.common import context, divider, escape, header, plain, section
from views.ids import Action, Block, Callback, goal_field, goal_fields_in
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


def _status_options() -> list[dict[str, Any]]:
    return [
        {"text": plain(label), "value": status.value} for status, label in STATUS_LABELS.items()
    ]


def _status_input(
    kind: str, goal_id: int, label: str, selected: GoalStatus | None
) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "static_select",
        "action_id": Action.GOAL_STATUS,
        "options": _status_options(),
        "placeholder": plain("Choose a status"),
    }
    if selected is not None:
        element["initial_option"] = {
            "text": plain(STATUS_LABELS[selected]),
            "value": selected.value,
        }
    return {
        "type": "input",
        "block_id": goal_field(kind, goal_id),
        "label": plain(label, 2000),
        "element": element,
    }


def _text_input(
    block_id: str, action_id: str, label: str, value: str | None, *, optional: bool, hint: str = ""
) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": action_id,
        "multiline": True,
        "max_length": 3000,
    }
    if value:
        element["initial_value"] = value
    block: dict[str, Any] = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label, 2000),
        "element": element,
        "optional": optional,
    }
    if hint:
        block["hint"] = plain(hint, 2000)
    return block


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
    button = {
        "type": "button",
        "action_id": Action.CHECK_IN,
        "text": plain(label),
        "value": str(checkin.id),
        **({} if answered else {"style": "primary"}),
    }
    note = say(SURFACE, "recorded" if answered else "reply_in_thread")
    elements = [button, ask_hr_button(plan_id)] if plan_id else [button]
    return [
        {"type": "actions", "block_id": Block.CHECKIN_ACTIONS, "elements": elements},
        context(note),
    ]


def ask_hr_button(plan_id: str) -> dict[str, Any]:
    """The employee's button that asks HR to look at their plan."""
    return {
        "type": "button",
        "action_id": Action.ASK_HR,
        "text": plain("Ask HR to review"),
        "value": plan_id,
    }


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
        blocks.append(section(_goal_line(number, plan, number - 1)))
        blocks.append(
            _status_input(
                Action.GOAL_STATUS, goal.id, "Status", earlier.status if earlier else None
            )
        )
        blocks.append(
            _text_input(
                goal_field(Action.GOAL_NOTE, goal.id),
                Action.GOAL_NOTE,
                "Note",
                earlier.note if earlier else None,
                optional=True,
            )
        )
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
    return {
        "type": "modal",
        "callback_id": Callback.CHECKIN,
        "private_metadata": str(checkin.id),
        "title": plain("Check-in", 24),
        "submit": plain("Save check-in", 24),
        "close": plain("Cancel", 24),
        "blocks": blocks,
    }


def _employee_answer_blocks(plan: Plan, checkin: Checkin | None) -> list[dict[str, Any]]:
    if checkin is None:
        return []
    theirs = marks_by(checkin, Author.EMPLOYEE)
    lines = []
    for number, goal in enumerate(plan.goals, start=1):
        mark = theirs.get(goal.id)
        if mark:
            note = f" · {escape(mark.note)}" if mark.note else ""
            lines.append(f"{number}. {goal_status_text(mark.status)}{note}")
    parts = []
    if lines:
        parts.append("\n".join(lines))
    for title, value in (
        ("Progress", checkin.employee_progress),
        ("Blockers", checkin.employee_blockers),
        ("Support needed", checkin.employee_support_needed),
        ("Reply", checkin.employee_reply),
    ):
        if value:
            parts.append(f"*{title}:* {escape(value)}")
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
        blocks.append(section(_goal_line(number, plan, number - 1)))
        blocks.append(
            _status_input(
                Action.GOAL_STATUS, goal.id, "Your assessment", earlier.status if earlier else None
            )
        )
        mine_note = mine.get(goal.id)
        blocks.append(
            _text_input(
                goal_field(Action.GOAL_NOTE, goal.id),
                Action.GOAL_NOTE,
                "Feedback",
                mine_note.note if mine_note else None,
                optional=True,
            )
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
    return {
        "type": "modal",
        "callback_id": Callback.REVIEW,
        "private_metadata": json.dumps(meta),
        "title": plain("Check-in review", 24),
        "submit": plain("Save review", 24),
        "close": plain("Cancel", 24),
        "blocks": blocks,
    }


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
        {
            "type": "actions",
            "block_id": Block.CHECKIN_ACTIONS,
            "elements": [
                {
                    "type": "button",
                    "action_id": Action.LOG_REVIEW,
                    "text": plain("Log review"),
                    "style": "primary",
                    "value": str(checkin.id),
                }
            ],
        },
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
