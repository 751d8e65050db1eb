"""The Slack app manifest: valid under Slack's schema, and every listener it names exists."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator
from slack_bolt import App

from bot import create_app
from config import Settings
from db import make_engine, make_session_factory

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_PATH = Path("shared") / "slack" / "manifest.schema.1.0.0.json"


def find_schema() -> Path | None:
    """Slack's schema in shared/slack/ beside the checkout (CI: ../shared) or in a folder above."""
    for folder in [ROOT, *ROOT.parents]:
        if (folder / SCHEMA_PATH).is_file():
            return folder / SCHEMA_PATH
    return None


def manifest() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "manifest.yml").read_text())


@pytest.fixture(scope="module")
def app() -> App:
    settings = Settings(slack_bot_token="xoxb-x", slack_signing_secret="s")
    return create_app(settings, make_session_factory(make_engine("sqlite://")))


def test_manifest_is_valid_under_slacks_schema() -> None:
    schema = find_schema()
    if schema is None:
        pytest.skip(
            f"manifest.yml was NOT validated: Slack's schema ({SCHEMA_PATH}) is neither in "
            f"{ROOT} nor in any folder above it"
        )
    validator = Draft7Validator(json.loads(schema.read_text()))
    errors = sorted(validator.iter_errors(manifest()), key=str)
    assert errors == []
    # The schema is strict enough to catch a real mistake.
    broken = manifest()
    del broken["display_information"]["name"]
    assert list(validator.iter_errors(broken))


def _listener_matches(app: App, body: dict[str, Any]) -> bool:
    from slack_bolt.request import BoltRequest

    request = BoltRequest(body=json.dumps(body), headers={"content-type": "application/json"})
    for listener in app._listeners:  # noqa: SLF001 - the only way to ask Bolt what it listens to
        if listener.matches(req=request, resp=None):
            return True
    return False


def test_every_command_has_a_listener(app: App) -> None:
    for command in manifest()["features"]["slash_commands"]:
        body = {"command": command["command"], "text": "", "user_id": "U1", "team_id": "T1"}
        assert _listener_matches(app, body), command["command"]


def test_an_unhandled_event_has_no_listener(app: App) -> None:
    body = {"type": "event_callback", "team_id": "T1", "event": {"type": "reaction_added"}}
    assert not _listener_matches(app, body)


def test_every_event_has_a_listener(app: App) -> None:
    samples = {
        "app_home_opened": {"type": "app_home_opened", "user": "U1", "tab": "home"},
        "message.im": {"type": "message", "channel_type": "im", "user": "U1", "text": "hi"},
    }
    events = manifest()["settings"]["event_subscriptions"]["bot_events"]
    assert set(events) <= set(samples), "add a sample event for the new subscription"
    for name in events:
        body = {"type": "event_callback", "team_id": "T1", "event": samples[name]}
        assert _listener_matches(app, body), name


def test_usage_hint_names_every_subcommand() -> None:
    from views.help import USAGES

    hint = manifest()["features"]["slash_commands"][0]["usage_hint"]
    for usage in USAGES:
        assert usage.name in hint


def test_the_schema_is_found_beside_the_checkout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tests.test_manifest as module

    clone = tmp_path / "ci-clone"
    (tmp_path / SCHEMA_PATH).parent.mkdir(parents=True)
    (tmp_path / SCHEMA_PATH).write_text("{}")
    monkeypatch.setattr(module, "ROOT", clone)
    assert find_schema() == tmp_path / SCHEMA_PATH


def test_the_required_scopes_are_the_manifests() -> None:
    from startup import REQUIRED_SCOPES

    assert list(REQUIRED_SCOPES) == manifest()["oauth_config"]["scopes"]["bot"]
