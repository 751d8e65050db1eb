"""A submitted plan form written after its acknowledgement, away from the request (worker/).

`handle_form_submit` (handlers/plans.py) acknowledges the form at once with the same form,
drawn again from what was typed and marked "saving", and hands a `PlanJob` to the plan
writer. `PlanWriter.write` then does what the inline path does before its acknowledgement
(`open_from_form`, shared) and turns the form into the outcome with `views.update`: a "plan
sent" view, or the form with what to fix in each field's hint. Until then the open form
still holds everything typed, so a writer that dies loses nothing; sent again for the same
employee, the same form finds the plan it opened (its form id is kept on the plan).
"""

from __future__ import annotations

import logging
import time
import uuid
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
from views.plan_form import (
    SURFACE,
    plan_modal,
    plan_referred,
    plan_sent_modal,
    read_plan_form,
)
from views.prose import mention, say

logger = logging.getLogger(__name__)
SETTLE = 1.0  # seconds between the acknowledgement and the form's update (PlanWriter)


@dataclass(frozen=True)
class Resent:
    """The form came back after it had opened `plan`; `changed` if it was changed since."""

    plan: Plan
    changed: bool


@dataclass(frozen=True)
class PlanJob:
    """A plan form acknowledged but not yet written: what the writer needs, and nothing else."""

    view: dict[str, Any]
    user_id: str
    is_hr: bool
    may_open_plans: bool
    team_id: str
    hr_recipients: tuple[str, ...]
    acked_at: float = 0.0  # time.time() when the form was acknowledged

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
    form_id: str | None = None,
) -> Plan | Resent | str:
    """Check `draft` against the cached profiles and open the plan; the plan, or the one
    answer for an employee whose open plan `actor` may not see (HR told). InvalidPlan for
    the form's errors. Commits: the check reads in a deferred transaction, the writes follow
    in one short write transaction (open_plan checks again under its lock).

    The form `form_id` sent again for the same employee (while it said "saving", to another
    replica, or racing itself) gets the plan it opened (`Resent`), never a second plan or
    an error about that plan.
    """
    begin_read(db)
    resent = _resent(db, actor, form_id, draft)
    if resent is not None:
        return resent
    try:
        return _open(db, directory, settings, actor, draft, team_id, hr_recipients, form_id)
    except InvalidPlan:
        db.rollback()
        begin_read(db)
        resent = _resent(db, actor, form_id, draft)  # written meanwhile
        if resent is None:
            raise
        return resent


def _resent(db: Session, actor: Actor, form_id: str | None, draft: PlanDraft) -> Resent | None:
    """The plan this form opened for the draft's employee, if any; ends the transaction."""
    opened = plans.opened_by_form(db, actor.user_id, form_id, draft.employee_id)
    db.commit()
    return None if opened is None else Resent(opened, not plans.matches_draft(opened, draft))


def _open(
    db: Session,
    directory: Directory,
    settings: Settings,
    actor: Actor,
    draft: PlanDraft,
    team_id: str,
    hr_recipients: tuple[str, ...],
    form_id: str | None,
) -> Plan | str:
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
        form_id=form_id,
    )
    db.commit()
    return refusal if opened is None else opened


def sent_view(outcome: Plan | Resent) -> dict[str, Any]:
    """What the form turns into once its plan is saved (and if it came back changed, that
    the changes were not applied)."""
    plan, changed = (
        (outcome.plan, outcome.changed) if isinstance(outcome, Resent) else (outcome, False)
    )
    return plan_sent_modal(
        plan.public_id,
        plan.employee_id,
        str(plan.status),
        approval=plan.review is not None,
        after_meeting=plan.send_after_meeting,
        changes_not_applied=changed,
    )


class PlanWriter:
    """Writes acknowledged plan forms one at a time and tells the form how it went.

    `settle`: seconds after the acknowledgement before the form is updated, so that Slack
    has shown our "saving" answer first and does not draw it over the outcome.
    """

    def __init__(
        self, settings: Settings, client: WebClient, key: bytes, *, settle: float = SETTLE
    ) -> None:
        self.settings = settings
        self.client = client
        self.key = key
        self.settle = settle

    def write(self, db: Session, job: PlanJob) -> None:
        """Write `job`'s plan, then turn its form into the outcome."""
        meta = form_meta(job.view, self.key)
        if meta is None:  # checked before the acknowledgement, with the same key
            logger.error("a plan form acknowledged as readable could not be read again")
            return
        draft, _ = read_plan_form(job.view, meta)
        try:
            outcome = open_from_form(
                db,
                Directory(CommittingClient(self.client, db)),  # no Slack call inside a write
                self.settings,
                job.actor,
                draft,
                team_id=job.team_id,
                hr_recipients=job.hr_recipients,
                form_id=meta.form_id,
            )
        except InvalidPlan as error:
            db.rollback()
            problems = field_errors(error.errors, meta.slots)
            view = plan_modal(draft, meta, key=self.key, problems=problems)
            unsaved = " ".join(dict.fromkeys(problems.values()))
        except NotAllowed as error:
            db.rollback()
            view = plan_modal(draft, meta, key=self.key, notice=str(error))
            unsaved = str(error)
        except Exception:
            db.rollback()
            ref = uuid.uuid4().hex[:8]
            logger.exception("could not write a plan (ref %s); its form still holds it", ref)
            unsaved = say(SURFACE, "failed", ref=ref)
            view = plan_modal(draft, meta, key=self.key, notice=unsaved)
        else:
            unsaved = ""
            if isinstance(outcome, str):  # the one answer, alone: there is nothing to fix
                view = plan_modal(draft, meta, key=self.key, notice=outcome)
                unsaved = outcome
            else:
                view = sent_view(outcome)
        if not self._update(job, view) and unsaved:
            self._tell(job, draft.employee_id, unsaved)

    def _update(self, job: PlanJob, view: dict[str, Any]) -> bool:
        """Show `view` in place of the form; False when the manager had closed it."""
        wait = job.acked_at + self.settle - time.time()
        if wait > 0:
            time.sleep(min(wait, self.settle))  # Slack is still drawing our acknowledgement
        try:
            self.client.views_update(view_id=str(job.view.get("id", "")), view=view)
        except SlackApiError as error:
            code = error.response.get("error")
            if code == "not_found":  # the manager closed it
                logger.info("could not update the plan form: %s", code)
                return False
            logger.error("could not update the plan form: %s", code)
        except OSError as error:
            logger.warning("could not update the plan form: %s", type(error).__name__)
        return True

    def _tell(self, job: PlanJob, employee_id: str | None, why: str) -> None:
        """The form was closed before it could say the plan was not saved: say it in a DM."""
        text = say(SURFACE, "closed_unsaved", employee=mention(employee_id or ""), why=why)
        try:
            channel = self.client.conversations_open(users=job.user_id)["channel"]["id"]
            self.client.chat_postMessage(channel=channel, text=text)
        except (SlackApiError, OSError) as error:
            logger.warning("could not tell %s the plan was not saved: %s", job.user_id, error)
