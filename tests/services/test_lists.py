"""Keyset paging: every plan once, in list order, forwards, backwards and by page number."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from models import Cadence, Plan, PlanStatus
from services.access import Actor
from services.browse import Scope, list_plans

NOW = datetime(2027, 1, 4, 15, tzinfo=UTC)
HR = Actor("UHR", is_hr=True)
SIZE = 7


def _fill(db: Session, count: int = 100) -> None:
    statuses = [PlanStatus.ACTIVE, PlanStatus.CLOSED, PlanStatus.ACKNOWLEDGED, PlanStatus.CLOSED]
    db.execute(
        insert(Plan),
        [
            {
                "public_id": f"PIP-{i:06d}",
                "team_id": "T",
                "employee_id": f"UEMP{i}",
                "manager_id": "UMGR" if i % 5 else "UOTHER",
                "issues": "i",
                "expectations": "e",
                "support": "",
                "consequences": "c",
                "start_date": date(2026, 10, 1),
                # Few distinct end dates: ties are broken by id, across page edges too.
                "end_date": date(2026, 12, 1) + timedelta(days=i % 4),
                "cadence": Cadence.WEEKLY,
                "checkin_weekday": 2,
                "status": statuses[i % 4],
                "ack_requested_at": NOW,
                "created_at": NOW,
                "updated_at": NOW,
            }
            for i in range(count)
        ],
    )
    db.commit()


def _expected(db: Session, scope: Scope) -> list[str]:
    query = select(Plan.public_id).order_by(
        Plan.status == PlanStatus.CLOSED, Plan.end_date, Plan.id
    )
    if scope == Scope.CLOSED:
        query = query.where(Plan.status == PlanStatus.CLOSED)
    if scope == Scope.MINE:
        query = query.where(Plan.manager_id == "UMGR")
    return list(db.scalars(query))


def _ids(page) -> list[str]:  # type: ignore[no-untyped-def]
    return [line.plan.public_id for line in page.lines]


def test_more_and_previous_walk_every_plan_once_in_order(db: Session) -> None:
    _fill(db)
    for scope, actor in ((Scope.ALL, HR), (Scope.CLOSED, HR), (Scope.MINE, Actor("UMGR"))):
        expected = _expected(db, scope)
        page = list_plans(db, actor, scope, 1, NOW, SIZE)
        seen = _ids(page)
        while page.page < page.pages:
            page = list_plans(db, actor, scope, page.page + 1, NOW, SIZE, after=page.last_key)
            seen += _ids(page)
        assert seen == expected, scope
        assert page.pages == -(-len(expected) // SIZE) and len(page.lines) >= 1
        back = _ids(page)
        while page.page > 1:
            page = list_plans(db, actor, scope, page.page - 1, NOW, SIZE, before=page.first_key)
            back = _ids(page) + back
        assert back == expected, scope


def test_a_typed_page_number_shows_that_page(db: Session) -> None:
    _fill(db)
    expected = _expected(db, Scope.ALL)
    pages = -(-len(expected) // SIZE)
    for number in range(1, pages + 1):
        page = list_plans(db, HR, Scope.ALL, number, NOW, SIZE)
        assert _ids(page) == expected[(number - 1) * SIZE : number * SIZE], number
    assert list_plans(db, HR, Scope.ALL, pages + 5, NOW, SIZE).page == pages
