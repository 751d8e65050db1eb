"""Plan lists (`/pip list`) and the whole plan (`/pip show`), paged within Slack's limits."""

from __future__ import annotations

import json
from typing import Any

from models import Author, Checkin, CheckinKind, EventKind, Plan, PlanEvent, PlanStatus
from services.browse import PlanDetail, PlanPage, Scope
from services.plan_facts import PlanLine
from services.plans import is_acknowledged
from services.status_text import count_words, fmt_date, plan_status_text
from views.checkins import answer_lines, goal_status_text, mark_lines
from views.common import actions, button, context, divider, escape, header, plain, section
from views.ids import Action, Block, Callback
from views.pause import pause_text
from views.plan_messages import fmt_when, long_sections, plan_body, split_sections
from views.prose import Mrkdwn, mention, say

MODAL_PAGE_BLOCKS = 90
SCOPE_TITLES = {
    Scope.MINE: "Your plans",
    Scope.ALL: "All plans",
    Scope.ACTIVE: "Open plans",
    Scope.CLOSED: "Closed plans",
    Scope.DRAFTS: "Drafts",
}
SURFACE = "views/browse"


def _show_button(public_id: str) -> dict[str, Any]:
    return button(Action.SHOW_PLAN, "Show", public_id)


def plan_line_text(line: PlanLine, viewer_id: str) -> str:
    """One plan as a line of mrkdwn: who, status, acknowledgement, next check-in, overdue.

    The plan's employee sees only what concerns them, not the manager's to-dos.
    """
    for_employee = viewer_id == line.plan.employee_id
    plan = line.plan
    status = plan_status_text(plan, line.pause)
    if plan.status in (PlanStatus.DRAFT, PlanStatus.WITHDRAWN):
        status += " · " + say(SURFACE, "draft_unseen")
    parts = [
        say(
            SURFACE,
            "line_head",
            plan_id=plan.public_id,
            employee=mention(plan.employee_id),
            manager=mention(plan.manager_id),
        ),
        status,
        f"{fmt_date(plan.start_date)} to {fmt_date(plan.end_date)}",
    ]
    if line.next_checkin:
        parts.append(say(SURFACE, "next_checkin", when=fmt_when(line.next_checkin)))
    text = "\n".join(parts)
    if line.ends_in_days is not None:
        text += "\n" + say(SURFACE, "ends", days=line.ends_in_days, for_employee=for_employee)
    overdue = line.overdue_for_employee if for_employee else line.overdue
    if overdue:
        text += "\n:warning: " + ", ".join(overdue)
    return text


def _hold_line(plan: Plan) -> str:
    """HR's note that a plan is on legal hold (empty when it is not)."""
    if plan.legal_hold_at is None:
        return ""
    return "\n" + say(SURFACE, "on_hold", day=fmt_date(plan.legal_hold_at.date()))


def list_message(page: PlanPage) -> dict[str, Any]:
    """One page of a plan list as an ephemeral message, with page buttons."""
    title = SCOPE_TITLES[page.scope]
    blocks: list[dict[str, Any]] = [
        header(say(SURFACE, "list_title", title=title, total=page.total)),
    ]
    if not page.lines:
        blocks.append(
            section(say(SURFACE, "no_plans" if page.scope != Scope.MINE else "no_plans_mine"))
        )
    for line in page.lines:
        blocks.append(
            section(
                plan_line_text(line, page.viewer_id)
                + (_hold_line(line.plan) if page.scope != Scope.MINE else ""),
                accessory=_show_button(line.plan.public_id),
            )
        )
    nav = []
    # Each button carries the key of the line next to the page it asks for: turning the
    # page is then an index seek from there (services/lists.py).
    for label, target, action, seek, key in (
        ("Previous", page.page - 1, Action.LIST_PAGE_BACK, "before", page.first_key),
        ("More", page.page + 1, Action.LIST_PAGE, "after", page.last_key),
    ):
        if 1 <= target <= page.pages:
            value: dict[str, Any] = {"scope": page.scope.value, "page": target}
            if key is not None:
                value[seek] = key.to_json()
            nav.append(button(action, label, json.dumps(value)))
    if page.pages > 1:
        blocks.append(context(say(SURFACE, "page_of", page=page.page, pages=page.pages)))
    if nav:
        blocks.append(actions(Block.LIST_NAV, *nav))
    text = say(
        SURFACE,
        "list_text",
        title=title,
        count=count_words(page.total, "plan"),
        page=page.page,
        pages=page.pages,
    )
    return {"text": text, "blocks": blocks}


def _checkin_blocks(checkin: Checkin, detail: PlanDetail) -> list[dict[str, Any]]:
    blocks = [
        section(
            say(
                SURFACE,
                "checkin_head",
                unscheduled=checkin.kind == CheckinKind.UNSCHEDULED,
                day=fmt_date(checkin.occurrence_date),
                status=checkin.status.value,
            )
        )
    ]
    answer = mark_lines(detail.plan, checkin, Author.EMPLOYEE) + answer_lines(checkin)
    if answer:
        blocks += split_sections("*Employee's answer*\n" + "\n".join(answer))
    review = mark_lines(detail.plan, checkin, Author.MANAGER)
    if checkin.next_steps:
        review.append(f"*Next steps:* {escape(checkin.next_steps)}")
    if review:
        blocks += split_sections("*Manager's review*\n" + "\n".join(review))
    if detail.include_private and checkin.private_notes:
        blocks += split_sections(
            say(SURFACE, "private_notes") + "\n" + escape(checkin.private_notes)
        )
    return blocks


def _amendment_text(event: PlanEvent) -> str:
    changes = event.data.get("changes", {})
    fields = ", ".join(str(name).replace("_", " ") for name in changes) or "nothing"
    return say(
        SURFACE,
        "amendment",
        extended=event.kind == EventKind.EXTENDED,
        when=fmt_when(event.created_at),
        by=mention(event.actor_id),
        fields=fields,
        reason=str(event.data.get("reason", "")),
    )


def plan_detail_blocks(detail: PlanDetail) -> list[dict[str, Any]]:
    """The whole plan as blocks (any number: `show_modal` pages them)."""
    plan = detail.plan
    current = next((p for p in detail.pauses if p.resumed_at is None), None)
    blocks: list[dict[str, Any]] = [
        section(
            say(
                SURFACE,
                "show_head",
                plan_id=plan.public_id,
                employee=mention(plan.employee_id),
                manager=mention(plan.manager_id),
                status=plan_status_text(plan, current),
            )
        )
    ]
    if detail.for_hr and plan.legal_hold_at is not None:
        blocks.append(
            section(
                say(
                    SURFACE,
                    "hold",
                    since=fmt_date(plan.legal_hold_at.date()),
                    by=mention(plan.legal_hold_by or ""),
                    reason=plan.legal_hold_reason or "",
                    plan_id=plan.public_id,
                )
            )
        )
    blocks += plan_body(plan)
    blocks.append(header("Goal progress"))
    for number, (goal, progress) in enumerate(zip(plan.goals, detail.goals, strict=True), 1):
        blocks.append(
            section(
                say(
                    SURFACE,
                    "goal_progress",
                    number=number,
                    description=goal.description,
                    latest=goal_status_text(progress.latest),
                    trend=Mrkdwn(", ".join(goal_status_text(s) for s in progress.trend)),
                )
            )
        )
    blocks.append(header("Acknowledgement"))
    if is_acknowledged(plan) and plan.acknowledged_at is not None:
        blocks.append(section(say(SURFACE, "acknowledged", when=fmt_when(plan.acknowledged_at))))
    else:
        blocks.append(
            section(say(SURFACE, "not_acknowledged", asked=fmt_when(plan.ack_requested_at)))
        )
    if plan.employee_response:
        blocks += long_sections("Employee's response", plan.employee_response)
    blocks.append(header("Check-ins"))
    if not detail.checkins:
        blocks.append(section(say(SURFACE, "no_checkins")))
    for checkin in detail.checkins:
        blocks += _checkin_blocks(checkin, detail)
    if detail.amendments:
        blocks.append(header("Amendments"))
        for event in detail.amendments:
            blocks += split_sections(_amendment_text(event))
    if detail.pauses:
        blocks.append(header("Pauses"))
        for pause in detail.pauses:
            shown = detail.include_private or pause.tell_employee
            blocks += split_sections(pause_text(pause, with_reason=shown))
    if plan.outcome_summary:
        blocks += long_sections("Outcome", plan.outcome_summary)
    return blocks


def show_modal(detail: PlanDetail, page: int = 1) -> dict[str, Any]:
    """The plan in a modal, one page of at most 90 blocks, with page buttons."""
    everything = plan_detail_blocks(detail)
    pages = max(1, -(-len(everything) // MODAL_PAGE_BLOCKS))
    page = min(max(page, 1), pages)
    blocks = everything[(page - 1) * MODAL_PAGE_BLOCKS : page * MODAL_PAGE_BLOCKS]
    public_id = detail.plan.public_id
    nav = [
        button(action, label, json.dumps({"plan": public_id, "page": target}))
        for label, target, action in (
            ("Previous page", page - 1, Action.SHOW_PAGE_BACK),
            ("Next page", page + 1, Action.SHOW_PAGE),
        )
        if 1 <= target <= pages
    ]
    if pages > 1:
        blocks = [*blocks, divider(), context(say(SURFACE, "page_of", page=page, pages=pages))]
    if nav:
        blocks.append(actions(Block.SHOW_NAV, *nav))
    return {
        "type": "modal",
        "callback_id": Callback.SHOW,
        "private_metadata": public_id,
        "title": plain(f"Plan {public_id}", 24),
        "close": plain("Close", 24),
        "blocks": blocks,
    }
