"""A submitted plan form written after its acknowledgement, away from the request (worker/).

`handle_form_submit` (handlers/plans.py) acknowledges the form at once with the same form,
drawn again from what was typed and marked "saving", and hands a `PlanJob` to the plan
writer. `write_plan` then does what the inline path does before its acknowledgement and
turns the form into the outcome with `views.update`: a "plan sent" view, or the form with
what to fix under each field. Until then the open form still holds everything typed, so a
writer that dies loses nothing; sent again, the same form is never written twice.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from config import Settings
from db import begin_read
from handlers.context import CommittingClient
from models import Plan, utcnow
from services import plans, users
from services.access import Actor
from services.calendar import local_date
from services.drafts import PlanDraft
from services.errors import InvalidPlan, NotAllowed
from services.schedule import Recipients
from services.users import Profile
from slackio.directory import Directory
from views.errors import field_errors
from views.form_meta import form_meta
from views.ids import Block
from views.plan_form import plan_modal, plan_referred, plan_sent_modal, read_plan_form

logger = logging.getLogger(__name__)
REMEMBERED_FORMS = 1000  # forms whose plan was saved, kept to answer a second send alike


@dataclass(frozen=True)
class PlanJob:
    """A plan form acknowledged but not yet written: what the writer needs, and nothing else."""

    view: dict[str, Any]
    user_id: str
    is_hr: bool
    may_open_plans: bool
    team_id: str
    hr_recipients: tuple[str, ...]

    @property
    def actor(self) -> Actor:
        """Who sent the form, with the rights they had when it was acknowledged."""
        return Actor(self.user_id, is_hr=self.is_hr, may_open_plans=self.may_open_plans)


def open_from_form(
    db: Session,
    directory: Directory,
    settings: Settings,
    actor: Actor,
    draft: PlanDraft,
    *,
    team_id: str,
    hr_recipients: tuple[str, ...],
) -> Plan | str:
    """Check `draft` against the cached profiles and open the plan; the plan, or the one
    answer for an employee whose open plan `actor` may not see (HR told). InvalidPlan for
    the form's errors. Commits: the check reads in a deferred transaction, the writes follow
    in one short write transaction (open_plan checks again under its lock).
    """
    begin_read(db)
    looked_up: list[Profile] = []

    def person(user_id: str) -> Profile | None:
        known = users.cached(db, user_id)
        if known is None:  # not in the cache: ask Slack, remember it with the plan
            known = directory.profile(db, user_id, store=False)
            if known is not None:
                looked_up.append(known)
            begin_read(db)
        return known

    employee = person(draft.employee_id) if draft.employee_id else None
    manager = users.last_known(db, actor.user_id) or person(actor.user_id)
    manager_tz = manager.tz if manager else "UTC"
    now = utcnow()
    if not actor.may_open_plans:
        raise NotAllowed(plans.NOT_IN_GROUP)
    approval = settings.approval_required
    hidden = plans.check_draft(db, actor, draft, employee, local_date(now, manager_tz))
    hidden_ids = (hidden.id, hidden.public_id) if hidden is not None and not approval else None
    db.commit()  # the read-only transaction ends: the writes below begin IMMEDIATE
    refusal = plan_referred(bool(settings.hr_channel_id))
    if hidden_ids is not None:  # the one answer that says nothing about that open plan
        plans.refer_to_hr(db, actor, hidden_ids, settings.hr_channel_id, now)
        db.commit()
        return refusal
    for profile in looked_up:
        users.remember(db, profile)
    opened = plans.open_plan(
        db,
        actor,
        team_id=team_id,
        draft=draft,
        employee=employee,
        recipients=Recipients.of(
            employee.tz if employee else "UTC",
            manager_tz,
            settings.hr_channel_id,
            settings.checkin_time,
            settings.holiday_rules,
        ),
        today=local_date(now, manager_tz),
        now=now,
        approval=approval,
        hr_recipients=hr_recipients,
    )
    db.commit()
    return refusal if opened is None else opened


class PlanWriter:
    """Writes acknowledged plan forms one at a time and tells the form how it went."""

    def __init__(self, settings: Settings, client: WebClient, key: bytes) -> None:
        self.settings = settings
        self.client = client
        self.key = key
        self._saved: OrderedDict[str, dict[str, Any]] = OrderedDict()  # view id -> sent view

    def write(self, db: Session, job: PlanJob) -> bool:
        """Write `job`'s plan and update its form; True when a plan was saved now."""
        view_id = str(job.view.get("id", ""))
        done = self._saved.get(view_id)
        if done is not None:  # the same form sent again while it was saving: the same answer
            self._update(view_id, done)
            return False
        meta = form_meta(job.view, self.key)
        if meta is None:  # checked before the acknowledgement, with the same key
            logger.error("a plan form acknowledged as readable could not be read again")
            return False
        draft, _ = read_plan_form(job.view, meta)
        problems: dict[str, str] = {}
        try:
            outcome = open_from_form(
                db,
                Directory(CommittingClient(self.client, db)),  # no Slack call inside a write
                self.settings,
                job.actor,
                draft,
                team_id=job.team_id,
                hr_recipients=job.hr_recipients,
            )
        except InvalidPlan as error:
            db.rollback()
            problems = field_errors(error.errors, meta.slots)
        except NotAllowed as error:
            db.rollback()
            problems = {Block.EMPLOYEE.value: str(error)}
        else:
            if isinstance(outcome, str):
                problems = {Block.EMPLOYEE.value: outcome}
        if problems:
            self._update(view_id, plan_modal(draft, meta, key=self.key, problems=problems))
            return False
        assert isinstance(outcome, Plan)
        sent = plan_sent_modal(
            outcome.public_id,
            outcome.employee_id,
            str(outcome.status),
            approval=self.settings.approval_required,
            after_meeting=draft.send_after_meeting,
        )
        self._saved[view_id] = sent
        while len(self._saved) > REMEMBERED_FORMS:
            self._saved.popitem(last=False)
        self._update(view_id, sent)
        return True

    def _update(self, view_id: str, view: dict[str, Any]) -> None:
        """Show `view` in place of the form; a form the manager has closed is no loss."""
        try:
            self.client.views_update(view_id=view_id, view=view)
        except SlackApiError as error:
            logger.info("could not update the plan form: %s", error.response.get("error"))
        except OSError as error:
            logger.warning("could not update the plan form: %s", type(error).__name__)
