"""Where each template is used: one scenario per template file, for the override test.

A scenario renders the real surface that uses the template (a view function, a message) and
returns what a person would read, as one string; a scheduler message is instead a delivery
(SCHEDULED), rendered by the dispatcher's own steps in a database. Add a template, add its
scenario or delivery here: `test_every_template_has_a_scenario` fails until you do.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from models import (
    ActionStep,
    Cadence,
    Checkin,
    CheckinKind,
    CheckinStatus,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    Goal,
    Plan,
    PlanStatus,
)
from services.browse import PlanPage, Scope
from services.home import HomeData, OwnPlan
from services.plan_facts import PlanLine
from tests.constants import EMPLOYEE, HR_CHANNEL, MANAGER
from tests.scheduler.test_renderers import CASES, OCCURRENCE, Case, _with_checkin, make_plan
from views import prose

TEMPLATES = prose.TEMPLATES
Scenario = Callable[[], str]


def sample_plan(**changes: Any) -> Plan:
    """A plan in memory (no database), with two goals and a step."""
    plan = Plan(
        id=1,
        public_id="PIP-7K3Q9A",
        team_id="T0001",
        employee_id="UEMPLOYEE",
        manager_id="UMANAGER",
        issues="Deadlines missed.",
        expectations="Meet deadlines.",
        support="Weekly 1:1s.",
        consequences="The role may end.",
        start_date=date(2027, 1, 4),
        end_date=date(2027, 3, 5),
        cadence=Cadence.WEEKLY,
        checkin_weekday=2,
        status=PlanStatus.ACTIVE,
        ack_requested_at=datetime(2027, 1, 4, 9, tzinfo=UTC),
        acknowledged_at=None,
        review=None,
        outcome=None,
        legal_hold_at=None,
    )
    plan.goals = [
        Goal(
            id=11,
            position=0,
            description="Ship on time",
            measure="Dates",
            target="90%",
            due_date=date(2027, 3, 1),
        ),
        Goal(
            id=12,
            position=1,
            description="Write tests",
            measure="Coverage",
            target="80%",
            due_date=date(2027, 3, 1),
        ),
    ]
    plan.steps = [ActionStep(id=21, position=0, description="Plan the week", due_date=None)]
    for name, value in changes.items():
        setattr(plan, name, value)
    return plan


def _text(message: Any) -> str:
    return json.dumps(message, ensure_ascii=False)


def _employee_message(**kwargs: Any) -> str:
    from views.plan_messages import employee_plan_message

    return _text(employee_plan_message(sample_plan(), **kwargs))


def _acknowledged_message() -> str:
    from views.plan_messages import employee_plan_message

    plan = sample_plan(
        status=PlanStatus.ACKNOWLEDGED, acknowledged_at=datetime(2027, 1, 5, 9, tzinfo=UTC)
    )
    return _text(employee_plan_message(plan))


def _line(plan: Plan) -> PlanLine:
    return PlanLine(plan=plan, acknowledged=False, next_checkin=None, overdue=[], ends_in_days=3)


def _home() -> str:
    from views.home import home_view

    plan = sample_plan()
    return _text(home_view(HomeData(own=[OwnPlan(line=_line(plan), open_checkin=None)])))


def _home_empty() -> str:
    from views.home import home_view

    return _text(home_view(HomeData()))


def _list() -> str:
    from views.browse import list_message

    page = PlanPage(Scope.MINE, 1, 1, 1, [_line(sample_plan())], viewer_id="UMANAGER")
    return _text(list_message(page))


def _close_form() -> str:
    from views.close import close_modal

    return _text(close_modal(sample_plan(), [], date(2027, 3, 5), can_extend=True))


def _help() -> str:
    from views.help import help_blocks

    return _text(help_blocks())


def _checkin() -> Checkin:
    return Checkin(
        id=31,
        plan_id=1,
        kind=CheckinKind.SCHEDULED,
        occurrence_date=date(2027, 1, 6),
        status=CheckinStatus.PENDING,
        employee_progress=None,
        employee_blockers=None,
        employee_support_needed=None,
        employee_reply=None,
        next_steps=None,
        private_notes=None,
    )


def _checkin_prompt() -> str:
    from views.checkins import checkin_prompt

    return _text(checkin_prompt(sample_plan(), _checkin()))


def _pause_form() -> str:
    from views.pause import pause_modal

    return _text(pause_modal(sample_plan()))


def _extend_form() -> str:
    from views.amend import extend_modal

    return _text(extend_modal(sample_plan()))


def _approval_request() -> str:
    from views.approval import approval_request

    draft = sample_plan(status=PlanStatus.DRAFT, send_after_meeting=False)
    return _text(approval_request(draft, 1, None))


def _ask_hr_form() -> str:
    from views.voice import ask_hr_modal

    return _text(ask_hr_modal(sample_plan(), "Hana in People Ops"))


def _verify_answer() -> str:
    from services.verify import Verdict
    from views.record import verdict_text

    verdict = Verdict("PIP-7K3Q9A", 4, 1, 2, None, None)
    return verdict_text(verdict, "Eli", "UTC")


def _plan_form() -> str:
    from views.plan_form import new_plan_modal

    return _text(new_plan_modal("UEMPLOYEE", date(2027, 1, 4), True, key=b"k" * 32))


def _unknown_command() -> str:
    """What `/pip bogus` answers, from the real command handler (no database is touched)."""
    from handlers.commands import handle_pip_command

    answers: list[dict[str, Any]] = []
    handle_pip_command(
        ack=lambda **kwargs: answers.append(kwargs),  # type: ignore[arg-type]
        command={"text": "bogus"},
        client=None,  # type: ignore[arg-type]
        context=None,  # type: ignore[arg-type]
        respond=None,  # type: ignore[arg-type]
        actor=None,  # type: ignore[arg-type]
        db=None,  # type: ignore[arg-type]
    )
    return _text(answers)


def export_template(ext: str) -> Scenario:
    """The exported record of a closed plan, as HTML or Markdown (services/export.py)."""

    def scenario() -> str:
        import tempfile

        from db import make_engine, make_session_factory, migrate
        from services.export import render_html, render_markdown
        from tests.services.test_export import EMPLOYEE, Actor, build_plan, export

        with tempfile.TemporaryDirectory() as folder:
            engine = make_engine(f"sqlite:///{Path(folder) / 'pip.db'}")
            migrate(engine)
            try:
                with make_session_factory(engine)() as db:
                    build_plan(db)
                    record, _, _ = export(db, Actor(EMPLOYEE))
            finally:
                engine.dispose()
        return render_html(record) if ext == "html" else render_markdown(record)

    return scenario


SCENARIOS: dict[str, Scenario] = {
    "messages/ack_request.md.j2": _employee_message,
    "messages/ack_request_amended.md.j2": lambda: _employee_message(
        round_=2, changed=["Goals"], reason="Clearer targets"
    ),
    "messages/acknowledged.md.j2": _acknowledged_message,
    "messages/views/plan_messages.md.j2": _employee_message,
    "messages/views/home.md.j2": _home_empty,
    "messages/views/browse.md.j2": _list,
    "messages/views/close.md.j2": _close_form,
    "messages/views/help.md.j2": _help,
    "messages/views/checkins.md.j2": _checkin_prompt,
    "messages/views/pause.md.j2": _pause_form,
    "messages/views/amend.md.j2": _extend_form,
    "messages/views/approval.md.j2": _approval_request,
    "messages/views/voice.md.j2": _ask_hr_form,
    "messages/views/record.md.j2": _verify_answer,
    "messages/handlers/answers.md.j2": _unknown_command,
    "messages/views/plan_form.md.j2": _plan_form,
}
SCENARIOS["export/plan.html.j2"] = export_template("html")
SCENARIOS["export/plan.md.j2"] = export_template("md")


# -- the scheduler's messages: each through the renderer that sends it (scheduler/renderers.py),
# arranged in a database as tests/scheduler/test_renderers.py arranges every renderer's case.


def _case(name: str, **changes: Any) -> Case:
    """The renderer test's case called `name` (`kind` or `kind:notice`), with `changes`."""
    [case] = [case for case in CASES if case.name == name]
    return replace(case, **changes)


def _older(kind: DeliveryKind, recipient: str, occurrence: date) -> Callable[[Session, Plan], None]:
    """A delivery of `kind` for the check-in of `occurrence`, owed since that day and not
    sent yet (as after downtime)."""

    def add(db: Session, plan: Plan) -> None:
        due = datetime.combine(occurrence, time(15), tzinfo=UTC)
        db.add(
            Delivery(
                occurrence_key=f"{plan.public_id}:{kind}:{recipient}:{occurrence}",
                plan_id=plan.id,
                kind=kind,
                recipient_id=recipient,
                payload={"occurrence_date": occurrence.isoformat()},
                due_at=due,
                next_attempt_at=due,
                status=DeliveryStatus.PENDING,
            )
        )
        db.flush()

    return add


def _after(
    *arrangements: Callable[[Session, Plan], object], payload: dict[str, Any]
) -> Callable[[Session, Plan], dict[str, Any]]:
    def arrange(db: Session, plan: Plan) -> dict[str, Any]:
        for arrangement in arrangements:
            arrangement(db, plan)
        return payload

    return arrange


def _answered(occurrence: date) -> Callable[[Session, Plan], None]:
    """The employee answered the check-in of `occurrence`; nobody reviewed it."""

    def add(db: Session, plan: Plan) -> None:
        db.add(
            Checkin(
                plan_id=plan.id,
                kind=CheckinKind.SCHEDULED,
                occurrence_date=occurrence,
                employee_progress="Better.",
                employee_submitted_at=datetime.combine(occurrence, time(16), tzinfo=UTC),
            )
        )
        db.flush()

    return add


_WEEK_2 = date(2027, 1, 11)
_WEEK_1 = date(2027, 1, 4)
_THIS_WEEK = {"occurrence_date": OCCURRENCE.isoformat(), "local_date": OCCURRENCE.isoformat()}

# Template -> the delivery whose renderer uses it. Add a template, add its delivery here.
SCHEDULED: dict[str, Case] = {
    "messages/ack_reminder.md.j2": _case("ack_reminder"),
    "messages/not_acknowledged.md.j2": _case("not_acknowledged"),
    "messages/plan_confirmation.md.j2": _case("plan_confirmation"),
    "messages/checkin_reminder.md.j2": _case("checkin_reminder"),
    "messages/review_reminder.md.j2": _case("review_reminder"),
    "messages/checkin_missed.md.j2": _case("checkin_missed"),
    "messages/end_of_plan.md.j2": _case("end_of_plan"),
    "messages/outcome_reminder.md.j2": _case("outcome_reminder"),
    "messages/outcome_overdue.md.j2": _case("outcome_overdue"),
    "messages/retention_run.md.j2": _case("retention_notice"),
    "messages/plan_resumed.md.j2": _case("resume"),
    "messages/acknowledged_notice.md.j2": _case("notice:acknowledged"),
    "messages/responded_notice.md.j2": _case("notice:responded"),
    "messages/undeliverable.md.j2": _case("notice:undeliverable"),
    "messages/receipt_recorded.md.j2": _case("notice:receipt"),
    "messages/checkin_waiting.md.j2": _case("notice:away"),
    "messages/outcome_employee.md.j2": _case("notice:outcome"),
    "messages/outcome_manager.md.j2": _case("notice:outcome", recipient=MANAGER),
    "messages/plan_paused.md.j2": _case("notice:paused"),
    "messages/draft_submitted.md.j2": _case("notice:submitted"),
    "messages/draft_approved.md.j2": _case("notice:approved"),
    "messages/draft_changes_requested.md.j2": _case("notice:changes_requested"),
    "messages/draft_ready_to_send.md.j2": _case("notice:ready_to_send"),
    "messages/hr_opened.md.j2": _case("hr_notice:opened"),
    "messages/hr_open_refused.md.j2": _case("hr_notice:open_refused"),
    "messages/hr_extended.md.j2": _case("hr_notice:extended"),
    "messages/hr_amended.md.j2": _case("hr_notice:amended"),
    "messages/hr_receipt.md.j2": _case("hr_notice:receipt"),
    "messages/hr_voice.md.j2": _case("hr_notice:ask_hr"),
    "messages/hr_closed.md.j2": _case("hr_notice:closed"),
    "messages/hr_record.md.j2": _case("hr_notice:record"),
    # After downtime (scheduler/backlog.py): a prompt that folded older ones says what else
    # is outstanding; overdue missed notices become one summary.
    "messages/backlog_unacknowledged.md.j2": _case(
        "checkin_prompt",
        payload=_after(_older(DeliveryKind.CHECKIN_PROMPT, EMPLOYEE, _WEEK_2), payload=_THIS_WEEK),
    ),
    "messages/backlog_unanswered.md.j2": _case(
        "checkin_prompt",
        payload=_after(_older(DeliveryKind.CHECKIN_PROMPT, EMPLOYEE, _WEEK_2), payload=_THIS_WEEK),
        plan=lambda db: make_plan(db, acknowledged_at=datetime(2027, 1, 5, tzinfo=UTC)),
    ),
    "messages/backlog_unreviewed.md.j2": _case(
        "review_prompt",
        payload=_after(
            _answered(_WEEK_2),
            _older(DeliveryKind.REVIEW_PROMPT, MANAGER, _WEEK_2),
            _with_checkin,
            payload=_THIS_WEEK,
        ),
    ),
    "messages/checkin_missed_summary.md.j2": _case(
        "checkin_missed",
        payload=_after(
            _older(DeliveryKind.CHECKIN_MISSED, HR_CHANNEL, _WEEK_1),
            payload={"occurrence_date": _WEEK_2.isoformat()},
        ),
    ),
}


def templates_on_disk() -> list[str]:
    """Every template file under templates/, overrides aside, as paths relative to it."""
    return sorted(
        p.relative_to(TEMPLATES).as_posix()
        for p in TEMPLATES.rglob("*.j2")
        if "overrides" not in p.relative_to(TEMPLATES).parts
    )


def employee_home() -> str:
    """The Home tab of an employee on a plan."""
    return _home()
