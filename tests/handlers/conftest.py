"""Every test here fails if Slack is called while a database write transaction is open."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.txguard import WriteTransactions, watching


@pytest.fixture(autouse=True)
def write_transactions() -> Iterator[WriteTransactions]:
    """Watch the test's database and Slack calls; fail it on a Slack call inside a write."""
    with watching() as guard:
        yield guard
    guard.check()
