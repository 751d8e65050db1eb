"""The plan's history as people read it: a title and a few lines for every event."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from models import Cadence, PlanEvent
from services.labels import (
    AMENDMENT_KINDS,
    CADENCE_LABELS,
    EVENT_TITLES,
    FIELD_LABELS,
    status_label,
    weekday_name,
)
from services.record.model import AmendmentRecord, Change, EventRecord, Party
from services.record.times import day_text

RESTRICTED_DATA = {"legal_hold": {"reason"}}
# Event data only HR and the employee who wrote it see (what the employee asked HR).
HR_ONLY_KEYS = {"hr_review_requested": "request"}


def goal_label(goal_id: Any, goal_labels: dict[int, str]) -> str:
    """A goal as the record names it: `Goal 2`, or a goal no longer in the plan."""
    if isinstance(goal_id, int) and goal_id in goal_labels:
        return goal_labels[goal_id]
    return f"A goal no longer in the plan (id {goal_id})"


def _without_private(value: Any) -> Any:
    """`value` with every `private_notes` entry removed, however deep."""
    if isinstance(value, dict):
        return {k: _without_private(v) for k, v in value.items() if k != "private_notes"}
    if isinstance(value, list):
        return [_without_private(v) for v in value]
    return value


def _describe(value: Any) -> str:
    """A stored value (text, date, goal or step list) as one readable line."""
    if value is None or value == "" or value == []:
        return "(none)"
    if isinstance(value, list):
        return "; ".join(f"{i}. {_describe(v)}" for i, v in enumerate(value, start=1))
    if isinstance(value, dict):
        if "description" in value:
            details = [
                f"{name}: {day_text(value[key]) if key == 'due_date' else value[key]}"
                for key, name in (("measure", "measure"), ("target", "target"), ("due_date", "due"))
                if value.get(key)
            ]
            return str(value["description"]) + (f" ({', '.join(details)})" if details else "")
        return ", ".join(f"{k}: {_describe(v)}" for k, v in value.items())
    return str(value)


def _describe_field(name: str, value: Any) -> str:
    if name == "checkin_weekday" and isinstance(value, int):
        return weekday_name(value)
    if name == "cadence" and isinstance(value, str) and value in set(Cadence):
        return CADENCE_LABELS[Cadence(value)]
    if name in ("start_date", "end_date") and value:
        return day_text(value)
    return _describe(value)


def field_changes(data: dict[str, Any]) -> list[Change]:
    """The fields an amendment (or a resume) changed, before and after, as readable text."""
    changes = data.get("changes")
    if not isinstance(changes, dict):
        return []
    result = []
    for name, change in changes.items():
        before, after = (
            (change.get("before"), change.get("after"))
            if isinstance(change, dict)
            else (None, change)
        )
        result.append(
            Change(
                field=FIELD_LABELS.get(name, name.replace("_", " ").capitalize()),
                before=_describe_field(name, before),
                after=_describe_field(name, after),
            )
        )
    return result


def _mark_lines(data: dict[str, Any], goal_labels: dict[int, str]) -> list[str]:
    """The goals of an event as one line: "Goals: Goal 1 on track (note); Goal 2 at risk"."""
    marks = []
    for mark in data.get("goals") or []:
        if not isinstance(mark, dict):
            continue
        text = f"{goal_label(mark.get('goal_id'), goal_labels)} "
        text += status_label(mark.get("status")).lower()
        marks.append(text + (f" ({mark['note']})" if mark.get("note") else ""))
    return [f"Goals: {'; '.join(marks)}"] if marks else []


def _labelled(data: dict[str, Any], *pairs: tuple[str, str]) -> list[str]:
    return [f"{label}: {data[key]}" for key, label in pairs if data.get(key)]


def _summary(
    kind: str,
    data: dict[str, Any],
    goal_labels: dict[int, str],
    party: Callable[[str], Party],
) -> list[str]:
    """What one event says, in a few readable lines (from data already filtered)."""
    day = day_text(data.get("occurrence_date", ""))
    if kind == "created":
        goals, steps = data.get("goals") or [], data.get("steps") or []
        employee = party(str(data.get("employee_id", ""))).name
        return [
            f"Opened the plan for {employee}, {day_text(data.get('start_date'))} to "
            f"{day_text(data.get('end_date'))},"
            f" with {len(goals)} goal(s) and {len(steps)} action step(s)."
        ]
    if kind == "acknowledged":
        return ["The employee acknowledged receipt of the plan (receipt, not agreement)."]
    if kind == "responded":
        return [f"Response: {data.get('response', '')}"]
    if kind in ("checkin_answered", "checkin_updated"):
        verb = "Updated the self-assessment" if kind == "checkin_updated" else "Self-assessment"
        return [
            f"{verb} for the check-in of {day}.",
            *_mark_lines(data, goal_labels),
            *_labelled(
                data,
                ("progress", "Progress"),
                ("blockers", "Blockers"),
                ("support_needed", "Support needed"),
            ),
        ]
    if kind == "checkin_replied":
        return [f"Reply to the check-in of {day}: {data.get('reply', '')}"]
    if kind in ("checkin_reviewed", "review_updated"):
        verb = "Updated the review" if kind == "review_updated" else "Review"
        return [
            f"{verb} of the check-in of {day}.",
            *_mark_lines(data, goal_labels),
            *_labelled(data, ("next_steps", "Next steps"), ("private_notes", "Private notes")),
        ]
    if kind in ("checkin_missed", "review_missed"):
        parts = data.get("outstanding") or ["self_assessment", "review"]
        missing = " and ".join(
            {"self_assessment": "no self-assessment", "review": "no review"}.get(str(p), str(p))
            for p in parts
        )
        return [f"The check-in of {day} had {missing} when the next one was due."]
    if kind == "checkin_waiting":
        who = party(str(data.get("waiting_for", ""))).name
        return [f"The check-in of {day} waited: {who} appeared to be away (Slack status)."]
    if kind == "paused":
        until = f" until {day_text(data['resume_on'])}" if data.get("resume_on") else ""
        reason = [f"Reason: {data['reason']}"] if data.get("reason") else []
        told = "with" if data.get("tell_employee") else "without"
        return [
            f"Paused from {day_text(data.get('paused_on'))}{until}; "
            f"the employee was told {told} the reason.",
            *reason,
        ]
    if kind == "resumed":
        how = "on its resume date" if data.get("automatic") else "by hand"
        return [
            f"Resumed on {day_text(data.get('resumed_on'))} ({how}) after "
            f"{data.get('business_days')} "
            "business day(s) paused.",
            *(f"{c.field}: {c.before} → {c.after}" for c in field_changes(data)),
        ]
    if kind in AMENDMENT_KINDS:
        return [
            f"Reason: {data.get('reason', '')}",
            *(f"{c.field}: {c.before} → {c.after}" for c in field_changes(data)),
        ]
    if kind == "submitted":
        changed = ", ".join(str(c) for c in data.get("changed") or [])
        return [
            f"Version {data.get('round', 1)} of the draft, {data.get('start_date')} to "
            f"{data.get('end_date')}, sent to HR for approval."
            + (f" Changed: {changed}." if changed else "")
        ]
    if kind in ("approved", "changes_requested"):
        verb = "Approved" if kind == "approved" else "Changes requested for"
        comment = str(data.get("comment") or "")
        return [
            f"{verb} version {data.get('round', 1)}." + (f" Comment: {comment}" if comment else "")
        ]
    if kind == "sent":
        moved = int(data.get("moved_days") or 0)
        start, end = data.get("start_date"), data.get("end_date")
        line = f"Sent to the employee; the plan runs {start} to {end}."
        if moved:
            before = data.get("before") or {}
            line += (
                f" It was sent {moved} day(s) after its planned start, so its dates moved from "
                f"{before.get('start_date')} to {before.get('end_date')}."
            )
        return [line]
    if kind == "withdrawn":
        return ["The manager withdrew the draft before it was sent; the employee never saw it."]
    if kind == "hr_review_requested":
        asked = str(data.get("request") or "")
        return [
            "The employee asked HR to review the plan." + (f" Request: {asked}" if asked else "")
        ]
    if kind == "legal_hold":
        reason = [f"Reason: {data['reason']}"] if data.get("reason") else []
        return ["The plan is kept past the retention policy until HR releases it.", *reason]
    if kind == "hold_released":
        return ["The retention policy applies to the plan again."]
    if kind == "closed":
        effective = (
            f", effective {day_text(data['effective_date'])}" if data.get("effective_date") else ""
        )
        return [
            f"Outcome: {str(data.get('outcome', '')).capitalize()}{effective}.",
            *_labelled(data, ("summary", "Summary")),
            *_mark_lines(data, goal_labels),
        ]
    return [f"{k.replace('_', ' ').capitalize()}: {_describe(v)}" for k, v in data.items()]


def event_record(
    event: PlanEvent,
    goal_labels: dict[int, str],
    include_private: bool,
    party: Callable[[str], Party],
    hr_or_writer: bool = True,
) -> EventRecord:
    """One history event as the reader may see it, with its title and summary."""
    shown: dict[str, Any] = dict(event.data) if include_private else _without_private(event.data)
    if not include_private:
        shown = {k: v for k, v in shown.items() if k not in RESTRICTED_DATA.get(event.kind, set())}
    if not hr_or_writer and event.kind in HR_ONLY_KEYS:
        shown.pop(HR_ONLY_KEYS[event.kind], None)
    return EventRecord(
        sequence=event.sequence,
        at=event.created_at,
        actor=party(event.actor_id),
        kind=event.kind,
        title=EVENT_TITLES.get(event.kind, event.kind.replace("_", " ").capitalize()),
        summary=_summary(event.kind, shown, goal_labels, party),
        data=shown,
        hash=event.hash,
    )


def amendments(history: list[EventRecord]) -> list[AmendmentRecord]:
    """Every amendment and extension, oldest first, each numbered within its kind."""
    counts: dict[str, int] = {}
    found = []
    for event in history:
        if event.kind not in AMENDMENT_KINDS:
            continue
        counts[event.kind] = counts.get(event.kind, 0) + 1
        found.append(
            AmendmentRecord(
                number=counts[event.kind],
                kind=AMENDMENT_KINDS[event.kind],
                at=event.at,
                by=event.actor,
                reason=str(event.data.get("reason") or ""),
                changes=field_changes(event.data),
            )
        )
    return found
