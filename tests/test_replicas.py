"""Two web replicas and one scheduler on one PostgreSQL serve requests and send each prompt once."""

from __future__ import annotations

import pytest

from bench.bench_replicas import run
from tests.conftest import postgres_url

pytestmark = pytest.mark.postgres


def test_two_web_replicas_and_a_scheduler_send_every_prompt_once() -> None:
    figures = run(plans=2, admin_url=postgres_url(), timeout=60, scheduler_last=True)
    assert figures["help_statuses"] == [200, 200, 200]
    assert figures["posted_before_the_scheduler"] == 0  # the web replicas send nothing
    assert figures["prompts_brought_forward"] == 2
    assert figures["owed_left"] == 0
    assert figures["posts_by_process"] == {"web1": 0, "web2": 0, "scheduler": 6}
    assert figures["delivery_statuses"] == {
        "ack_request:sent": 2,
        "checkin_prompt:sent": 2,
        "plan_confirmation:sent": 2,
    }
    assert figures["distinct_deliveries_posted"] == 6
    assert figures["checkin_prompts_posted"] == 2
    assert figures["posted_more_than_once"] == 0
    assert figures["exit_codes"] == [0, 0, 0]
