"""`/pip report` shows the breakdowns by team, month and manager beside its figures."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from models import Plan
from tests.conftest import HR, MANAGER
from tests.fakeslack import FakeSlack
from tests.slackdriver import SlackDriver, response_json

OPENED = datetime(2027, 1, 4, 15, tzinfo=UTC)  # a Monday


def test_the_report_breaks_the_plans_down_by_team_month_and_manager(
    plan: Plan, driver: SlackDriver, slack: FakeSlack
) -> None:
    reply = response_json(driver.command(HR, "report"))
    assert "Preparing the report" in reply["text"]
    [figures] = slack.calls_to("response_url")
    text = json.dumps(figures.args["blocks"])
    assert f"*By team:* {plan.team_id}: 1 (1 open)" in text
    assert f"*By month started (latest 6):* {plan.start_date.isoformat()[:7]}: 1 (1 open)" in text
    assert f"*Managers with the most open plans:* <@{MANAGER}>: 1 (1 open)" in text
