"""Drafts and HR approval: the request HR gets, the review form, the manager's buttons."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models import EventKind, Plan
from views import state
from views.common import actions, button, clip, context, divider, escape, section
from views.ids import Action, Block, Callback
from views.inputs import modal, option, radio_input, text_input
from views.plan_messages import fmt_date, fmt_when, plan_body, schedule_line
from views.prose import Mrkdwn, mention, say

SURFACE = "views/approval"
MODAL_MAX_BLOCKS = 100
ISSUE_LINES = 3
ISSUE_CHARS = 500
DECISION_LABELS = {"approve": "Approve", "changes": "Request changes"}


def review_value(public_id: str, round_: int) -> str:
    """The Review button's value: the draft and the round (version) it asks about."""
    return f"{public_id}:{round_}"


def parse_review_value(value: str) -> tuple[str, int | None]:
    """The draft id and round from a Review button or the review form's metadata."""
    public_id, _, round_ = value.partition(":")
    return public_id, int(round_) if round_.isdigit() else None


def first_lines(text: str) -> str:
    """The first few lines of the issues, for a summary."""
    lines = [line for line in text.splitlines() if line.strip()][:ISSUE_LINES]
    shown = "\n".join(lines)
    more = len(shown) < len(text.strip())
    return clip(shown, ISSUE_CHARS) + ("\n…" if more and len(shown) <= ISSUE_CHARS else "")


def _flag(plan: Plan, other_plan: str | None) -> list[dict[str, Any]]:
    if other_plan is None:
        return []
    return [
        section(say(SURFACE, "flag", employee=mention(plan.employee_id), other_plan=other_plan))
    ]


def _delivery_words(plan: Plan) -> str:
    return say(SURFACE, "delivery", after_meeting=plan.send_after_meeting)


def approval_request(
    plan: Plan, round_: int, other_plan: str | None, outcome: str | None = None
) -> dict[str, Any]:
    """HR's request to approve one round of a draft, with a Review button (or, once decided,
    who decided and when instead of the button)."""
    head = say(
        SURFACE,
        "request_head",
        plan_id=plan.public_id,
        round=round_,
        employee=mention(plan.employee_id),
    )
    blocks: list[dict[str, Any]] = [
        section(head),
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": f"*Employee*\n<@{plan.employee_id}>"},
                {"type": "mrkdwn", "text": f"*Manager*\n<@{plan.manager_id}>"},
                {
                    "type": "mrkdwn",
                    "text": f"*Dates*\n{fmt_date(plan.start_date)} to {fmt_date(plan.end_date)}",
                },
                {"type": "mrkdwn", "text": f"*Delivery*\n{_delivery_words(plan)}"},
            ],
        },
        section(f"*Issues (first lines)*\n{escape(first_lines(plan.issues))}"),
        *_flag(plan, other_plan),
    ]
    if outcome is None:
        blocks.append(
            draft_actions(
                button(
                    Action.REVIEW_DRAFT,
                    "Review",
                    review_value(plan.public_id, round_),
                    primary=True,
                )
            )
        )
    else:
        blocks.append(context(outcome))
    text = say(SURFACE, "request_text", plan_id=plan.public_id, employee=mention(plan.employee_id))
    return {"text": text, "blocks": blocks}


def decided_line(kind: EventKind, who: str, when: datetime) -> str:
    """What an approval request says once it is decided (or withdrawn, or replaced)."""
    return say(SURFACE, "decided", kind=kind, who=mention(who), when=fmt_when(when))


def review_modal(plan: Plan, round_: int, other_plan: str | None) -> dict[str, Any]:
    """The whole draft with Approve / Request changes and a comment (needed for changes)."""
    intro = section(
        say(
            SURFACE,
            "review_intro",
            plan_id=plan.public_id,
            employee=mention(plan.employee_id),
            manager=mention(plan.manager_id),
            round=round_,
            delivery=_delivery_words(plan),
            schedule=Mrkdwn(schedule_line(plan)),
        )
    )
    options = [option(label, value) for value, label in DECISION_LABELS.items()]
    tail: list[dict[str, Any]] = [
        divider(),
        radio_input(Block.DECISION, Action.DECISION, "Your decision", options),
        text_input(
            Block.COMMENT,
            Action.COMMENT,
            "Comment for the manager",
            multiline=True,
            optional=True,
            hint=say(SURFACE, "comment_hint"),
        ),
    ]
    head = [intro, *_flag(plan, other_plan), divider()]
    body = plan_body(plan)[: MODAL_MAX_BLOCKS - len(head) - len(tail)]
    return modal(
        Callback.REVIEW_DRAFT,
        "Review draft plan",
        "Record decision",
        [*head, *body, *tail],
        review_value(plan.public_id, round_),
    )


def decision_of(view: dict[str, Any]) -> tuple[str | None, str]:
    """The decision and comment typed into the review form."""
    return (
        state.selected(view, Block.DECISION, Action.DECISION),
        state.text(view, Block.COMMENT, Action.COMMENT),
    )


def send_button(plan: Plan, employee_name: str) -> dict[str, Any]:
    """The manager's button that sends an approved draft to the employee."""
    return button(Action.SEND_PLAN, f"Send to {employee_name}", plan.public_id, primary=True)


def edit_draft_button(plan: Plan) -> dict[str, Any]:
    """The manager's button that opens the draft in the plan form, everything kept."""
    return button(Action.EDIT_DRAFT, "Edit draft", plan.public_id)


def draft_actions(*buttons: dict[str, Any]) -> dict[str, Any]:
    """An actions block of draft buttons."""
    return actions(Block.DRAFT_ACTIONS, *buttons)


def sent_line(plan: Plan, when: datetime) -> str:
    """What the manager's Send message says once the plan went out."""
    return say(SURFACE, "sent", employee=mention(plan.employee_id), when=fmt_when(when))
