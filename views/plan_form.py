"""The plan form (`/pip new`): building it from a draft and reading a draft back from it."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import date
from typing import Any

from models import Cadence
from services.drafts import (
    GOAL_TEXT_MAX,
    LENGTH_PRESETS,
    MAX_GOALS,
    GoalDraft,
    PlanDraft,
)
from views import state
from views.common import actions, button, context, header, plain, section
from views.form_meta import FormMeta, unverified_meta
from views.ids import Action, Block, Callback, goal_block
from views.inputs import (
    MODAL_TEXT_MAX,
    date_input,
    modal,
    option,
    radio_input,
    select_input,
    text_input,
    user_input,
)
from views.prose import mention, say

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
CADENCES = {Cadence.WEEKLY: "Every week", Cadence.BIWEEKLY: "Every two weeks"}
UNTIL_END_DATE = "end_date"
# The one answer to a valid form for someone whose open plan the submitter may not see.
SURFACE = "views/plan_form"
SEND_AT_ONCE = "at_once"
SEND_AFTER_MEETING = "after_meeting"


def _goal_blocks(goal: GoalDraft, number: int, slot: int, removable: bool) -> list[dict[str, Any]]:
    title: dict[str, Any] = section(
        f"*Goal {number}*", block_id=goal_block(Block.GOAL_HEADER, slot)
    )
    if removable:
        title["accessory"] = button(Action.REMOVE_GOAL, "Remove goal", str(slot))
    parts = (
        (
            Block.GOAL_DESCRIPTION,
            Action.GOAL_DESCRIPTION,
            "What the goal is",
            goal.description,
            say(SURFACE, "goal_example"),
        ),
        (
            Block.GOAL_MEASURE,
            Action.GOAL_MEASURE,
            "How it is measured",
            goal.measure,
            say(SURFACE, "measure_example"),
        ),
        (
            Block.GOAL_TARGET,
            Action.GOAL_TARGET,
            "Target",
            goal.target,
            say(SURFACE, "target_example"),
        ),
    )
    inputs = [
        text_input(
            goal_block(block, slot),
            action,
            label,
            typed,
            max_length=GOAL_TEXT_MAX,
            placeholder=placeholder,
        )
        for block, action, label, typed, placeholder in parts
    ]
    due = date_input(goal_block(Block.GOAL_DUE, slot), Action.GOAL_DUE, "Due date", goal.due_date)
    return [title, *inputs, due]


def _delivery_input(draft: PlanDraft, meta: FormMeta) -> dict[str, Any]:
    """When the employee gets the plan: once approved (or at once), or after a meeting."""
    at_once = say(SURFACE, "send_when_approved" if meta.approval else "send_now")
    options = [
        option(at_once, SEND_AT_ONCE),
        option(say(SURFACE, "send_after_meeting"), SEND_AFTER_MEETING),
    ]
    return radio_input(
        Block.DELIVERY,
        Action.DELIVERY,
        say(SURFACE, "delivery_label"),
        options,
        SEND_AFTER_MEETING if draft.send_after_meeting else SEND_AT_ONCE,
        hint=say(SURFACE, "delivery_hint"),
    )


def _intro(meta: FormMeta) -> str:
    return say(SURFACE, "intro", approval=meta.approval)


def _top_blocks(draft: PlanDraft, meta: FormMeta, reason: str) -> list[dict[str, Any]]:
    if meta.plan_id is not None and meta.draft:
        return [
            context(
                say(
                    SURFACE,
                    "editing_draft",
                    plan_id=meta.plan_id,
                    employee=mention(meta.employee_id or ""),
                    approval=meta.approval,
                )
            )
        ]
    if meta.plan_id is None:
        return [
            context(_intro(meta)),
            user_input(Block.EMPLOYEE, Action.EMPLOYEE, "Employee", draft.employee_id),
        ]
    return [
        context(
            say(
                SURFACE,
                "changing",
                plan_id=meta.plan_id,
                employee=mention(meta.employee_id or ""),
            )
        ),
        text_input(
            Block.REASON,
            Action.REASON,
            "Reason for the change",
            reason,
            multiline=True,
            placeholder=say(SURFACE, "reason_placeholder"),
        ),
    ]


def plan_modal(
    draft: PlanDraft,
    meta: FormMeta,
    reason: str = "",
    *,
    key: bytes,
    notice: str | None = None,
    problems: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The plan form filled in from `draft`: a new plan, or (meta.plan_id) an amendment.

    `notice` goes first; `problems` (input block id -> message) become their fields' hints,
    as a form shows them when it comes back after it was acknowledged (`response_action:
    errors` is no longer possible then).
    """
    slots = meta.slots  # one per goal: zip(strict=True) below refuses a mismatch
    blocks: list[dict[str, Any]] = [
        *([context(notice)] if notice else []),
        *_top_blocks(draft, meta, reason),
        text_input(
            Block.ISSUES,
            Action.ISSUES,
            "Issues, with dated examples",
            draft.issues,
            multiline=True,
            placeholder=say(SURFACE, "issues_placeholder"),
        ),
        text_input(
            Block.EXPECTATIONS,
            Action.EXPECTATIONS,
            "Expected standard",
            draft.expectations,
            multiline=True,
            placeholder=say(SURFACE, "expectations_placeholder"),
        ),
        header("Goals"),
    ]
    removable = len(draft.goals) > 1
    for number, (goal, slot) in enumerate(zip(draft.goals, slots, strict=True), start=1):
        blocks.extend(_goal_blocks(goal, number, slot, removable))
    if len(draft.goals) < MAX_GOALS:
        blocks.append(actions(Block.GOAL_ACTIONS, button(Action.ADD_GOAL, "Add goal", "add")))
    else:
        blocks.append(context(say(SURFACE, "max_goals", count=MAX_GOALS)))
    blocks += [
        header("Support and steps"),
        text_input(
            Block.STEPS,
            Action.STEPS,
            "Action steps",
            draft.steps_text,
            multiline=True,
            optional=True,
            hint=say(SURFACE, "steps_hint"),
        ),
        text_input(
            Block.SUPPORT,
            Action.SUPPORT,
            "Support and resources",
            draft.support,
            multiline=True,
            optional=True,
            placeholder=say(SURFACE, "support_placeholder"),
        ),
        header("Schedule"),
        select_input(
            Block.CADENCE,
            Action.CADENCE,
            "Check-ins",
            [option(text, c.value) for c, text in CADENCES.items()],
            draft.cadence.value if draft.cadence else None,
        ),
        select_input(
            Block.WEEKDAY,
            Action.WEEKDAY,
            "Check-in day",
            [option(day, str(i)) for i, day in enumerate(WEEKDAYS)],
            str(draft.weekday) if draft.weekday is not None else None,
        ),
        date_input(Block.START_DATE, Action.START_DATE, "Start date", draft.start_date),
        select_input(
            Block.LENGTH,
            Action.LENGTH,
            "Length",
            [option(f"{d} days", str(d)) for d in LENGTH_PRESETS]
            + [option(say(SURFACE, "until_end_date"), UNTIL_END_DATE)],
            str(draft.length_days) if draft.length_days else UNTIL_END_DATE,
        ),
        date_input(Block.END_DATE, Action.END_DATE, "End date", draft.end_date, optional=True),
        header("Consequences"),
        text_input(
            Block.CONSEQUENCES,
            Action.CONSEQUENCES,
            "If the standard is not met",
            draft.consequences,
            multiline=True,
            placeholder=say(SURFACE, "consequences_placeholder"),
        ),
    ]
    editing = meta.plan_id is not None and not meta.draft
    if not editing:
        blocks.append(_delivery_input(draft, meta))
    if meta.draft:
        callback, title = Callback.EDIT_DRAFT, "Edit draft plan"
        submit = "Send to HR" if meta.approval else "Save draft"
    elif editing:
        callback, title, submit = Callback.EDIT_PLAN, "Change plan", "Save changes"
    else:
        callback, title = Callback.NEW_PLAN, "New improvement plan"
        submit = "Send to HR" if meta.approval else "Send plan"
    if problems:
        blocks = _with_problems(blocks, problems)
    return modal(callback, title, submit, blocks, meta.dump(key))


def _with_problems(
    blocks: list[dict[str, Any]], problems: Mapping[str, str]
) -> list[dict[str, Any]]:
    """`blocks` with each problem as its input's hint (no block more: a form of ten goals is
    near Slack's 100), one without an input at the top."""
    inputs = {b.get("block_id") for b in blocks if b.get("type") == "input"}
    stray = " ".join(m for k, m in problems.items() if k not in inputs)
    top = say(SURFACE, "not_sent") + (f" {say(SURFACE, 'problem', text=stray)}" if stray else "")
    marked: list[dict[str, Any]] = [context(top)]
    for block in blocks:
        message = problems.get(block.get("block_id", "")) if block.get("type") == "input" else None
        if message:
            block = {**block, "hint": plain(say(SURFACE, "problem", text=message))}
        marked.append(block)
    return marked


def plan_sent_modal(
    plan_id: str,
    employee_id: str,
    status: str,
    *,
    approval: bool,
    after_meeting: bool,
    changes_not_applied: bool = False,
) -> dict[str, Any]:
    """What the plan form turns into once its plan is saved (nothing left to submit)."""
    text = say(
        SURFACE,
        "sent",
        plan_id=plan_id,
        employee=mention(employee_id),
        status=status,
        approval=approval,
        after_meeting=after_meeting,
    )
    blocks = [section(text)]
    if changes_not_applied:  # above what was saved: it is what the manager must read first
        notice = say(
            SURFACE, "changes_not_applied", plan_id=plan_id, status=status, approval=approval
        )
        blocks.insert(0, section(notice))
    return {
        "type": "modal",
        "callback_id": Callback.PLAN_SENT,
        "title": plain(say(SURFACE, "sent_title", status=status), MODAL_TEXT_MAX),
        "close": plain("Done", MODAL_TEXT_MAX),
        "blocks": blocks,
    }


def new_plan_modal(
    employee_id: str | None, today: date, approval: bool = False, *, key: bytes
) -> dict[str, Any]:
    """The empty plan form, with the employee preselected when known."""
    draft = PlanDraft(employee_id=employee_id, start_date=today)
    meta = FormMeta(approval=approval, form_id=secrets.token_hex(16))
    return plan_modal(draft, meta, key=key)


def edit_draft_modal(
    draft: PlanDraft, plan_id: str, employee_id: str, approval: bool, *, key: bytes
) -> dict[str, Any]:
    """The plan form prefilled with a draft, every field kept, to change and send again."""
    meta = FormMeta(
        slots=list(range(len(draft.goals))),
        next_slot=len(draft.goals),
        plan_id=plan_id,
        employee_id=employee_id,
        draft=True,
        approval=approval,
    )
    return plan_modal(draft, meta, key=key)


def edit_plan_modal(
    draft: PlanDraft, plan_id: str, employee_id: str, goal_ids: list[int], *, key: bytes
) -> dict[str, Any]:
    """The plan form prefilled with the current plan, for an amendment with a reason."""
    meta = FormMeta(
        slots=list(range(len(goal_ids))),
        next_slot=len(goal_ids),
        plan_id=plan_id,
        employee_id=employee_id,
        goal_ids=dict(enumerate(goal_ids)),
    )
    return plan_modal(draft, meta, key=key)


def form_slots(view: dict[str, Any]) -> tuple[list[int], int]:
    """The goal slots and the next free slot, from the view's private_metadata (unverified)."""
    meta = unverified_meta(view)
    return meta.slots, meta.next_slot


def form_reason(view: dict[str, Any]) -> str:
    """The reason typed into an amendment form."""
    return state.text(view, Block.REASON, Action.REASON)


def read_plan_form(view: dict[str, Any], meta: FormMeta) -> tuple[PlanDraft, list[int]]:
    """The draft typed into a plan form, with the form's goal slots (from `meta`) in order."""
    slots = meta.slots
    goals = [
        GoalDraft(
            description=state.text(
                view, goal_block(Block.GOAL_DESCRIPTION, s), Action.GOAL_DESCRIPTION
            ),
            measure=state.text(view, goal_block(Block.GOAL_MEASURE, s), Action.GOAL_MEASURE),
            target=state.text(view, goal_block(Block.GOAL_TARGET, s), Action.GOAL_TARGET),
            due_date=state.picked_date(view, goal_block(Block.GOAL_DUE, s), Action.GOAL_DUE),
        )
        for s in slots
    ]
    cadence = state.selected(view, Block.CADENCE, Action.CADENCE)
    weekday = state.selected(view, Block.WEEKDAY, Action.WEEKDAY)
    length = state.selected(view, Block.LENGTH, Action.LENGTH)
    delivery = state.selected(view, Block.DELIVERY, Action.DELIVERY)
    draft = PlanDraft(
        employee_id=state.value(view, Block.EMPLOYEE, Action.EMPLOYEE).get("selected_user"),
        issues=state.text(view, Block.ISSUES, Action.ISSUES),
        expectations=state.text(view, Block.EXPECTATIONS, Action.EXPECTATIONS),
        goals=goals,
        steps_text=state.text(view, Block.STEPS, Action.STEPS),
        support=state.text(view, Block.SUPPORT, Action.SUPPORT),
        cadence=Cadence(cadence) if cadence in {c.value for c in Cadence} else None,
        weekday=int(weekday) if weekday and weekday.isdigit() else None,
        start_date=state.picked_date(view, Block.START_DATE, Action.START_DATE),
        length_days=int(length) if length and length.isdigit() else None,
        end_date=state.picked_date(view, Block.END_DATE, Action.END_DATE),
        consequences=state.text(view, Block.CONSEQUENCES, Action.CONSEQUENCES),
        send_after_meeting=delivery == SEND_AFTER_MEETING,
    )
    if draft.employee_id is None:
        draft.employee_id = meta.employee_id if meta.draft else None
    return draft, slots


def plan_referred(hr_told: bool) -> str:
    """The one answer to a valid form for someone whose open plan the submitter may not see."""
    return say(SURFACE, "referred" if hr_told else "referred_no_hr")


def form_unreadable() -> str:
    """What a form that can no longer be read answers: nothing was saved, and what to do."""
    return say(SURFACE, "unreadable")
