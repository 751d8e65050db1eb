"""Deliveries give way to the requests the app is answering (scheduler/foreground.py)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot import make_delivery_client, make_wsgi_app
from config import Settings
from models import DeliveryStatus
from scheduler.dispatcher import Dispatcher
from scheduler.foreground import Foreground
from tests.constants import MANAGER, SIGNING_SECRET
from tests.fakeslack import FakeSlack
from tests.instantclock import InstantClock
from tests.outbox_helpers import seed, statuses
from tests.scheduler.test_dispatcher import NOW
from tests.slackdriver import SlackDriver
from tests.wsgiclient import WsgiClient

OPENED = NOW  # where the shared `clock` stops

BLOCKED = 0.3  # how long a thread that must wait is watched not to get in


class Watching(Foreground):
    """A Foreground that notes the requests it was told of and the most work at once."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[str] = []
        self.inside = 0
        self.most_inside = 0
        self.entered = 0
        self._count = threading.Lock()

    @contextmanager
    def request(self) -> Iterator[None]:
        with super().request():
            self.requests.append("begin")
            yield
        self.requests.append("end")

    @contextmanager
    def background(self) -> Iterator[None]:
        with super().background():
            with self._count:
                self.inside += 1
                self.entered += 1
                self.most_inside = max(self.most_inside, self.inside)
            try:
                yield
            finally:
                with self._count:
                    self.inside -= 1


def test_busy_only_while_a_request_is_being_answered_even_one_that_fails() -> None:
    foreground = Foreground()
    assert not foreground.busy
    with foreground.request():
        assert foreground.busy
        with foreground.request():
            assert foreground.busy
        assert foreground.busy
    assert not foreground.busy
    with pytest.raises(RuntimeError), foreground.request():
        raise RuntimeError("the listener failed")
    assert not foreground.busy


def test_background_work_runs_side_by_side_while_no_request_is_answered() -> None:
    foreground = Foreground()
    with foreground.background(), foreground.background(), foreground.background():
        entered = True  # with one slot taken per block, the second would wait for ever
    assert entered


def test_while_a_request_is_answered_background_work_goes_one_at_a_time() -> None:
    foreground = Foreground()
    first_in, second_trying, second_in = threading.Event(), threading.Event(), threading.Event()
    release = threading.Event()

    def first() -> None:
        with foreground.background():
            first_in.set()
            release.wait(10)

    def second() -> None:
        first_in.wait(10)
        second_trying.set()
        with foreground.background():
            second_in.set()

    with foreground.request():
        threads = [threading.Thread(target=first), threading.Thread(target=second)]
        for thread in threads:
            thread.start()
        assert second_trying.wait(10)
        assert not second_in.wait(BLOCKED)  # it waits for the first
        release.set()
        assert second_in.wait(10)  # and goes as soon as the first is done
    for thread in threads:
        thread.join(10)


@pytest.fixture
def watching() -> Watching:
    """The foreground the app and the dispatcher share in these tests."""
    return Watching()


@pytest.fixture
def dispatcher(
    settings: Settings, session_factory: sessionmaker[Session], watching: Watching
) -> Dispatcher:
    """The app's dispatcher, with a foreground that is watched."""
    return Dispatcher(
        session_factory,
        make_delivery_client(settings),
        settings,
        clock=InstantClock(),
        workers=8,
        foreground=watching,
    )


def test_the_app_marks_each_request_until_it_is_answered(
    driver: SlackDriver, watching: Watching
) -> None:
    response = driver.command(MANAGER, "help")
    assert response.status == 200
    assert watching.requests == ["begin", "end"]
    assert not watching.busy


def test_the_front_door_marks_a_request_from_its_first_byte_even_one_it_refuses(
    driver: SlackDriver, engine: Engine, watching: Watching
) -> None:
    client = WsgiClient(make_wsgi_app(driver.app, engine, SIGNING_SECRET), SIGNING_SECRET)
    assert client.post("payload=%7B%7D", signed=False).status == 401
    assert watching.requests == ["begin", "end"]  # Bolt never saw it
    assert not watching.busy


def test_deliveries_go_one_at_a_time_while_a_request_is_answered(
    clock: time_machine.Coordinates,
    dispatcher: Dispatcher,
    session_factory: sessionmaker[Session],
    slack: FakeSlack,
    watching: Watching,
) -> None:
    ids = seed(session_factory, slack, 24, NOW - timedelta(hours=1), known=True)
    with watching.request():
        assert dispatcher.tick() == 24
    assert statuses(session_factory, ids) == {DeliveryStatus.SENT: 24}
    assert watching.entered == 24  # every delivery ran as background work
    assert watching.most_inside == 1
