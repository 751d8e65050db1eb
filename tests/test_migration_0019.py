"""Migration 0019 keeps earlier closes readable: each goal gets the final state its close
recorded, as it was (on the earlier scale), and the record labels it as such."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import text

from db import alembic_config, make_engine, migrate
from services.status_text import final_result_label


def test_an_earlier_close_is_copied_onto_its_goals_as_it_was(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'pip.db'}")
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0017")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO plans (id, public_id, team_id, employee_id, manager_id, issues,"
                " expectations, support, consequences, start_date, end_date, cadence,"
                " checkin_weekday, status, outcome, ack_requested_at, created_at, updated_at,"
                " send_after_meeting, review_round)"
                " VALUES (1, 'PIP-OLD001', 'T1', 'UE', 'UM', 'i', 'e', '', 'c', '2026-01-05',"
                " '2026-03-06', 'weekly', 2, 'closed', 'successful', '2026-01-05 09:00:00',"
                " '2026-01-05 09:00:00', '2026-01-05 09:00:00', 0, 0)"
            )
        )
        for goal_id, position in ((11, 0), (12, 1), (13, 2)):
            connection.execute(
                text(
                    "INSERT INTO goals (id, plan_id, position, description, measure, target,"
                    " due_date) VALUES (:id, 1, :pos, 'd', 'm', 't', '2026-03-01')"
                ),
                {"id": goal_id, "pos": position},
            )
        connection.execute(
            text(
                "INSERT INTO plan_events (plan_id, sequence, actor_id, kind, data, created_at,"
                " prev_hash, hash) VALUES (1, 1, 'UM', 'closed', :data,"
                " '2026-03-06 10:00:00', :zero, :zero)"
            ),
            {
                "data": '{"outcome": "successful", "goals": [{"goal_id": 11, "status":'
                ' "on_track"}, {"goal_id": 12, "status": "at_risk"}, {"goal_id": 13,'
                ' "status": null}]}',
                "zero": "0" * 64,
            },
        )
    migrate(engine)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT id, final_result FROM goals ORDER BY id")).all()
        [(data,)] = connection.execute(text("SELECT data FROM plan_events")).all()
    engine.dispose()
    assert rows == [(11, "on_track"), (12, "at_risk"), (13, None)]
    assert '"on_track"' in data  # the chained history itself is not rewritten
    assert [final_result_label(r) for _, r in rows] == [
        "On track (earlier scale)",
        "At risk (earlier scale)",
        "No final result recorded",
    ]
