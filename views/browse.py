"""Plan lists (`/pip list`) and the whole plan (`/pip show`), paged within Slack's limits."""

from __future__ import annotations

import json
from typing import Any

from models import Author, Checkin, CheckinKind, EventKind, Plan, PlanEvent, PlanStatus, Review
from services.browse import PlanDetail, PlanPage, Scope
from services.checkins import STATUS_LABELS
from services.plan_facts import PlanLine
from services.plans import is_acknowledged
from views.checkins import STATUS_EMOJI, answer_lines, mark_lines
from views.common import actions, button, context, divider, escape, header, plain, section
from views.ids import Action, Block, Callback
from views.pause import pause_text, status_words
from views.plan_messages import fmt_date, fmt_when, long_sections, plan_body, split_sections

MODAL_PAGE_BLOCKS = 90
SCOPE_TITLES = {
    Scope.MINE: "Your plans",
    Scope.ALL: "All plans",
    Scope.ACTIVE: "Open plans",
    Scope.CLOSED: "Closed plans",
    Scope.DRAFTS: "Drafts",
}
DRAFT_WORDS = {
    Review.PENDING: "draft, with HR for approval",
    Review.CHANGES_REQUESTED: "draft, HR asked for changes",
    Review.APPROVED: "draft, approved by HR and not sent yet",
}


def draft_words(plan: Plan) -> str:
    """Where a draft stands, in the same words everywhere."""
    if plan.status == PlanStatus.WITHDRAWN:
        return "withdrawn draft, never sent"
    if plan.review is None:
        return "draft, not sent yet"
    return DRAFT_WORDS[plan.review]


def _show_button(public_id: str) -> dict[str, Any]:
    return button(Action.SHOW_PLAN, "Show", public_id)


def plan_line_text(line: PlanLine, viewer_id: str) -> str:
    """One plan as a line of mrkdwn: who, status, acknowledgement, next check-in, overdue.

    The plan's employee sees only what concerns them, not the manager's to-dos.
    """
    for_employee = viewer_id == line.plan.employee_id
    plan = line.plan
    status = status_words(plan, line.pause)
    acknowledged = "acknowledged" if line.acknowledged else "not acknowledged yet"
    if plan.status in (PlanStatus.DRAFT, PlanStatus.WITHDRAWN):
        status, acknowledged = draft_words(plan), "the employee has not seen it"
    parts = [
        f"*{plan.public_id}* · <@{plan.employee_id}> with <@{plan.manager_id}>",
        f"{status} · {acknowledged}",
        f"{fmt_date(plan.start_date)} to {fmt_date(plan.end_date)}",
    ]
    if line.next_checkin:
        parts.append(f"next check-in {fmt_when(line.next_checkin)}")
    text = "\n".join(parts)
    if line.ends_in_days is not None:
        when = "today" if line.ends_in_days == 0 else f"in {line.ends_in_days} day(s)"
        todo = "" if for_employee else ": time to decide the outcome"
        text += f"\n:hourglass_flowing_sand: ends {when}{todo}"
    overdue = line.overdue_for_employee if for_employee else line.overdue
    if overdue:
        text += "\n:warning: " + ", ".join(overdue)
    return text


def _hold_line(plan: Plan) -> str:
    """HR's note that a plan is on legal hold (empty when it is not)."""
    if plan.legal_hold_at is None:
        return ""
    return f"\n:lock: On legal hold since {fmt_date(plan.legal_hold_at.date())}"


def list_message(page: PlanPage) -> dict[str, Any]:
    """One page of a plan list as an ephemeral message, with page buttons."""
    title = SCOPE_TITLES[page.scope]
    blocks: list[dict[str, Any]] = [
        header(f"{title} · {page.total}"),
    ]
    if not page.lines:
        blocks.append(
            section(
                "No plans to show."
                if page.scope != Scope.MINE
                else ("You have no plans. `/pip new` opens one.")
            )
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
        blocks.append(context(f"Page {page.page} of {page.pages}"))
    if nav:
        blocks.append(actions(Block.LIST_NAV, *nav))
    text = f"{title}: {page.total} (page {page.page} of {page.pages})"
    return {"text": text, "blocks": blocks}


def _checkin_blocks(checkin: Checkin, detail: PlanDetail) -> list[dict[str, Any]]:
    kind = "Unscheduled check-in" if checkin.kind == CheckinKind.UNSCHEDULED else "Check-in"
    blocks = [section(f"*{kind} · {fmt_date(checkin.occurrence_date)}* · {checkin.status.value}")]
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
            ":lock: *Private notes* (manager and HR only)\n" + escape(checkin.private_notes)
        )
    return blocks


def _amendment_text(event: PlanEvent) -> str:
    changes = event.data.get("changes", {})
    fields = ", ".join(str(name).replace("_", " ") for name in changes) or "nothing"
    what = "Extended" if event.kind == EventKind.EXTENDED else "Amended"
    return (
        f"*{what} {fmt_when(event.created_at)}* by <@{event.actor_id}>: {escape(fields)}\n"
        f"Reason: {escape(str(event.data.get('reason', '')))}"
    )


def plan_detail_blocks(detail: PlanDetail) -> list[dict[str, Any]]:
    """The whole plan as blocks (any number: `show_modal` pages them)."""
    plan = detail.plan
    current = next((p for p in detail.pauses if p.resumed_at is None), None)
    status = status_words(plan, current)
    blocks: list[dict[str, Any]] = [
        section(
            f"*{plan.public_id}* · <@{plan.employee_id}>, managed by <@{plan.manager_id}>\n"
            f"Status: {status}"
        )
    ]
    if detail.for_hr and plan.legal_hold_at is not None:
        reason = escape(plan.legal_hold_reason or "")
        blocks.append(
            section(
                f"{_hold_line(plan).strip()}, placed by <@{plan.legal_hold_by}>: {reason}\n"
                "It is not deleted under the retention policy until HR releases it "
                f"with `/pip release {plan.public_id}`."
            )
        )
    blocks += plan_body(plan)
    blocks.append(header("Goal progress"))
    for number, (goal, progress) in enumerate(zip(plan.goals, detail.goals, strict=True), 1):
        trend = " ".join(STATUS_EMOJI[s] if s else ":white_circle:" for s in progress.trend)
        latest = STATUS_LABELS[progress.latest] if progress.latest else "not rated yet"
        blocks.append(
            section(f"*{number}. {escape(goal.description)}*\nLatest: {latest}\n{trend}".rstrip())
        )
    blocks.append(header("Acknowledgement"))
    if is_acknowledged(plan) and plan.acknowledged_at is not None:
        blocks.append(section(f"Receipt acknowledged {fmt_when(plan.acknowledged_at)}."))
    else:
        blocks.append(section(f"Not acknowledged yet (asked {fmt_when(plan.ack_requested_at)})."))
    if plan.employee_response:
        blocks += long_sections("Employee's response", plan.employee_response)
    blocks.append(header("Check-ins"))
    if not detail.checkins:
        blocks.append(section("No check-ins yet."))
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
        blocks = [*blocks, divider(), context(f"Page {page} of {pages}")]
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
