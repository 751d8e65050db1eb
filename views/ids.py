"""Every action, block and callback id the app uses, in one place."""

from __future__ import annotations

from enum import StrEnum


class Command(StrEnum):
    """Slash commands."""

    PIP = "/pip"


class Callback(StrEnum):
    """Modal callback ids."""

    NEW_PLAN = "pip_new_plan"
    RESPOND = "pip_respond"
    CHECKIN = "pip_checkin"
    REVIEW = "pip_review"
    SHOW = "pip_show"
    EDIT_PLAN = "pip_edit_plan"
    EXTEND = "pip_extend"
    CLOSE = "pip_close"
    REVIEW_DRAFT = "pip_review_draft"
    EDIT_DRAFT = "pip_edit_draft"
    ASK_HR = "pip_ask_hr"
    READ_VOICE = "pip_read_voice"
    PAUSE = "pip_pause"
    PLAN_SENT = "pip_plan_sent"


class Action(StrEnum):
    """Interactive element action ids."""

    EMPLOYEE = "employee"
    ISSUES = "issues"
    EXPECTATIONS = "expectations"
    SUPPORT = "support"
    STEPS = "steps"
    CONSEQUENCES = "consequences"
    CADENCE = "cadence"
    WEEKDAY = "weekday"
    START_DATE = "start_date"
    LENGTH = "length"
    END_DATE = "end_date"
    GOAL_DESCRIPTION = "goal_description"
    GOAL_MEASURE = "goal_measure"
    GOAL_TARGET = "goal_target"
    GOAL_DUE = "goal_due"
    ADD_GOAL = "add_goal"
    REMOVE_GOAL = "remove_goal"
    ACKNOWLEDGE = "acknowledge_plan"
    RESPOND = "respond_plan"
    RESPONSE_TEXT = "response_text"
    CHECK_IN = "check_in"
    LOG_REVIEW = "log_review"
    GOAL_STATUS = "goal_status"
    GOAL_NOTE = "goal_note"
    PROGRESS = "progress"
    BLOCKERS = "blockers"
    SUPPORT_NEEDED = "support_needed"
    NEXT_STEPS = "next_steps"
    PRIVATE_NOTES = "private_notes"
    LIST_PAGE = "list_page"
    LIST_PAGE_BACK = "list_page_back"
    SHOW_PLAN = "show_plan"
    SHOW_PAGE = "show_page"
    SHOW_PAGE_BACK = "show_page_back"
    REASON = "reason"
    RECORD_OUTCOME = "record_outcome"
    EXTEND_INSTEAD = "extend_instead"
    OUTCOME = "outcome"
    SUMMARY = "summary"
    EFFECTIVE_DATE = "effective_date"
    DELIVERY = "delivery"
    REVIEW_DRAFT = "review_draft"
    DECISION = "decision"
    COMMENT = "comment"
    EDIT_DRAFT = "edit_draft"
    SEND_PLAN = "send_plan"
    ASK_HR = "ask_hr"
    ASK_HR_TEXT = "ask_hr_text"
    READ_VOICE = "read_voice"
    RESUME_ON = "resume_on"
    TELL_EMPLOYEE = "tell_employee"


class Block(StrEnum):
    """Block ids that are fixed (goal blocks add the goal's index, see `goal_block`)."""

    EMPLOYEE = "employee"
    ISSUES = "issues"
    EXPECTATIONS = "expectations"
    SUPPORT = "support"
    STEPS = "steps"
    CONSEQUENCES = "consequences"
    CADENCE = "cadence"
    WEEKDAY = "weekday"
    START_DATE = "start_date"
    LENGTH = "length"
    END_DATE = "end_date"
    GOAL_DESCRIPTION = "goal_description"
    GOAL_MEASURE = "goal_measure"
    GOAL_TARGET = "goal_target"
    GOAL_DUE = "goal_due"
    GOAL_HEADER = "goal_header"
    GOAL_ACTIONS = "goal_actions"
    PLAN_ACTIONS = "plan_actions"
    RESPONSE = "response"
    CHECKIN_ACTIONS = "checkin_actions"
    PROGRESS = "progress"
    BLOCKERS = "blockers"
    SUPPORT_NEEDED = "support_needed"
    NEXT_STEPS = "next_steps"
    PRIVATE_NOTES = "private_notes"
    LIST_NAV = "list_nav"
    SHOW_NAV = "show_nav"
    CLOSE_EXTEND = "close_extend"
    HOME_ACTIONS = "home_actions"
    REASON = "reason"
    OUTCOME = "outcome"
    SUMMARY = "summary"
    EFFECTIVE_DATE = "effective_date"
    DELIVERY = "delivery"
    DECISION = "decision"
    COMMENT = "comment"
    DRAFT_ACTIONS = "draft_actions"
    ASK_HR_TEXT = "ask_hr_text"
    RESUME_ON = "resume_on"
    TELL_EMPLOYEE = "tell_employee"


class EventType(StrEnum):
    """Message metadata event types."""

    DELIVERY = "pip_delivery"
    SEAL = "pip_record_seal"


def goal_block(field: Block | str, slot: int) -> str:
    """The block id of one goal's field, e.g. `goal_description:2`.

    A slot names a goal for the life of one form (removing goal 2 does not renumber goal 3),
    so that Slack's kept input state always lands on the right goal.
    """
    return f"{field}:{slot}"


def goal_field(kind: str, goal_id: int) -> str:
    """The block id of a per-goal input in the check-in forms, e.g. `goal_status.12`.

    It is also the field name services use for that goal's errors.
    """
    return f"{kind}.{goal_id}"


def goal_fields_in(view: dict[str, object], kind: str) -> list[int]:
    """The goal ids of the `kind` blocks a view showed (see `goal_field`), in order."""
    prefix = f"{kind}."
    blocks = view.get("blocks", [])
    if not isinstance(blocks, list):
        return []
    return [
        int(str(b["block_id"]).removeprefix(prefix))
        for b in blocks
        if str(b.get("block_id", "")).startswith(prefix)
    ]
