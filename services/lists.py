"""Keyset paging of plan lists: open plans first, then closed, each by end date and id.

A page is found by seeking in an index from the key of a line next to it, never by
skipping rows with OFFSET, so page 500 costs what page 1 costs. The list is two segments,
each served by an index in its order (migration 0015): open plans by
`ix_plans_open_end_date_id` (a partial index on `(end_date, id)` of plans that are not
closed) and closed ones by `ix_plans_status_end_date_id`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import NamedTuple

from sqlalchemy import ColumnElement, Select, func, select, tuple_
from sqlalchemy.orm import Session

from models import Plan, PlanStatus


class ListKey(NamedTuple):
    """Where a plan sits in list order."""

    closed: bool
    end_date: date
    id: int

    def to_json(self) -> list[object]:
        """The key as plain JSON values, for a button's value."""
        return [self.closed, self.end_date.isoformat(), self.id]

    @classmethod
    def from_json(cls, value: object) -> ListKey | None:
        """A key from `to_json`'s form; None for anything else (a forged or old button)."""
        if not isinstance(value, list) or len(value) != 3:
            return None
        closed, day, plan_id = value
        if not isinstance(closed, bool) or not isinstance(plan_id, int):
            return None
        try:
            return cls(closed, date.fromisoformat(str(day)), plan_id)
        except ValueError:
            return None


def key_of(plan: Plan) -> ListKey:
    """The list key of `plan`."""
    return ListKey(plan.status == PlanStatus.CLOSED, plan.end_date, plan.id)


def _segment(where: Sequence[ColumnElement[bool]], closed: bool) -> Select[Plan]:
    in_segment = Plan.status == PlanStatus.CLOSED if closed else Plan.status != PlanStatus.CLOSED
    return select(Plan).where(*where, in_segment)


def _seek(
    db: Session,
    where: Sequence[ColumnElement[bool]],
    closed: bool,
    limit: int,
    *,
    after: ListKey | None = None,
    before: ListKey | None = None,
    backwards: bool = False,
    offset: int = 0,
) -> list[Plan]:
    if limit <= 0:
        return []
    query = _segment(where, closed)
    position = tuple_(Plan.end_date, Plan.id)
    if after is not None and after.closed == closed:
        query = query.where(position > tuple_(after.end_date, after.id))
    if before is not None and before.closed == closed:
        query = query.where(position < tuple_(before.end_date, before.id))
    order = (Plan.end_date.desc(), Plan.id.desc()) if backwards else (Plan.end_date, Plan.id)
    return list(db.scalars(query.order_by(*order).offset(offset or None).limit(limit)))


def forwards(
    db: Session, where: Sequence[ColumnElement[bool]], limit: int, after: ListKey | None
) -> list[Plan]:
    """Up to `limit` plans after `after` (from the start when None), in list order."""
    found: list[Plan] = []
    if after is None or not after.closed:
        found = _seek(db, where, False, limit, after=after)
    return found + _seek(db, where, True, limit - len(found), after=after)


def backwards(
    db: Session, where: Sequence[ColumnElement[bool]], limit: int, before: ListKey | None
) -> list[Plan]:
    """Up to `limit` plans before `before` (from the end when None), in list order."""
    found: list[Plan] = []
    if before is None or before.closed:
        found = _seek(db, where, True, limit, before=before, backwards=True)
    found += _seek(db, where, False, limit - len(found), before=before, backwards=True)
    return found[::-1]


def page_of(
    db: Session,
    where: Sequence[ColumnElement[bool]],
    page: int,
    pages: int,
    total: int,
    page_size: int,
    *,
    after: ListKey | None = None,
    before: ListKey | None = None,
) -> list[Plan]:
    """The plans of page `page` (of `pages`, `total` plans in all).

    From a button, `after` (More) or `before` (Previous) seeks from the key it carries.
    The first and last pages seek from the ends. A middle page typed by hand is counted
    from the nearer end within its segment (OFFSET in one index, the only place it is
    used: a person types a page number rarely, and never pages through them all).
    """
    if after is not None:
        return forwards(db, where, page_size, after)
    if before is not None:
        return backwards(db, where, page_size, before)
    if page <= 1:
        return forwards(db, where, page_size, None)
    last_size = total - (pages - 1) * page_size
    if page >= pages:
        return backwards(db, where, last_size, None)
    skip = (page - 1) * page_size
    open_count = int(
        db.scalar(select(func.count()).select_from(_segment(where, False).subquery())) or 0
    )
    from_end = total - skip - page_size
    if from_end < skip:  # nearer the end: count backwards
        return _typed_page(db, where, open_count, total, from_end, page_size, backwards=True)
    return _typed_page(db, where, open_count, total, skip, page_size, backwards=False)


def _typed_page(
    db: Session,
    where: Sequence[ColumnElement[bool]],
    open_count: int,
    total: int,
    skip: int,
    size: int,
    *,
    backwards: bool,
) -> list[Plan]:
    # Segments in the direction of travel: (closed?, rows in it).
    segments = [(True, total - open_count), (False, open_count)]
    if not backwards:
        segments.reverse()
    found: list[Plan] = []
    for closed, rows in segments:
        if skip >= rows:
            skip -= rows
            continue
        found += _seek(db, where, closed, size - len(found), backwards=backwards, offset=skip)
        skip = 0
        if len(found) >= size:
            break
    return found[::-1] if backwards else found
