"""Start-up checks: the tokens work, the scopes are granted, the HR channel and people exist.

`serve` runs them before it serves (a refused token stops it, the rest are warnings) and
`python bot.py check` prints them as a table together with the database checks.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from config import Settings
from metrics import MeteredWebClient

OK, WARNING, ERROR = "ok", "warning", "error"
CHECK_TIMEOUT_SECONDS = 5
# The bot scopes manifest.yml asks for, and what each one is for (a test keeps them equal).
REQUIRED_SCOPES: dict[str, str] = {
    "commands": "the /pip command",
    "chat:write": "messages to people and notices in the HR channel",
    "im:write": "opening direct messages",
    "im:history": "check-in replies in direct messages",
    "groups:history": "finding a notice already posted to a private HR channel",
    "channels:history": "finding a notice already posted to a public HR channel",
    "groups:read": "checking that the bot is in a private HR channel",
    "channels:read": "checking that the bot is in a public HR channel",
    "users:read": "names, time zones and deactivated accounts",
    "files:write": "exported plans and report CSVs",
    "usergroups:read": "who is in MANAGER_GROUP and HR_GROUP",
}
# Slack's answers that mean the token itself is wrong, not the network or Slack.
REFUSED = {
    "invalid_auth",
    "not_authed",
    "account_inactive",
    "token_revoked",
    "token_expired",
    "not_allowed_token_type",
}
_INVITE = "/invite @PIP Bot"


@dataclass(frozen=True)
class Check:
    """One line of the start-up report: what was checked, ok/warning/error, and what to do."""

    name: str
    status: str
    detail: str
    fatal: bool = False  # `serve` stops (exit 2) on a fatal check


def _code(error: SlackApiError) -> str:
    data = error.response.data if isinstance(error.response.data, dict) else {}
    return str(data.get("error") or f"HTTP {error.response.status_code}")


def _reason(error: OSError) -> str:
    reason = getattr(error, "reason", None) or error
    return f"{type(error).__name__}: {reason}"


def _header(headers: dict[str, Any], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return str(value[0] if isinstance(value, list) else value)
    return None


def check_client(settings: Settings) -> WebClient:
    """A client for the checks: short timeout, no retries (an answer now, not in a minute)."""
    # The checks report failures in their own words: slack_sdk's error line would be a second.
    quiet = logging.getLogger("pipbot.checks.slack_sdk")
    quiet.setLevel(logging.CRITICAL + 1)
    return MeteredWebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        timeout=CHECK_TIMEOUT_SECONDS,
        retry_handlers=[],
        logger=quiet,
    )


def slack_checks(settings: Settings, client: WebClient) -> list[Check]:
    """Check the bot token, its scopes, the app-level token, the HR channel and HR people."""
    try:
        auth = client.auth_test()
    except SlackApiError as error:
        code = _code(error)
        if code in REFUSED:
            return [
                Check(
                    "SLACK_BOT_TOKEN",
                    ERROR,
                    f"Slack refused the bot token ({code}): copy the Bot User OAuth Token "
                    "(xoxb-...) from OAuth & Permissions of your Slack app",
                    fatal=True,
                )
            ]
        return [Check("Slack", ERROR, f"auth.test failed ({code}); the checks were not run")]
    except OSError as error:
        # HTTP mode can still take requests and send later; Socket Mode cannot even connect.
        return [
            Check(
                "Slack",
                ERROR,
                f"could not reach {settings.slack_api_url} ({_reason(error)}); "
                "the checks were not run",
                fatal=settings.socket_mode,
            )
        ]
    team = auth.get("team") or "the workspace"
    checks = [Check("SLACK_BOT_TOKEN", OK, f"accepted by {team}")]
    checks += _scope_checks(_header(auth.headers, "x-oauth-scopes"))
    if settings.socket_mode:
        checks.append(_app_token_check(settings, client))
    checks.append(_hr_channel_check(settings, client))
    checks += _hr_user_checks(settings, client)
    return checks


def _scope_checks(header: str | None) -> list[Check]:
    if header is None:
        return [Check("scopes", WARNING, "Slack did not say which scopes the token has")]
    granted = {scope.strip() for scope in header.split(",") if scope.strip()}
    missing = [scope for scope in REQUIRED_SCOPES if scope not in granted]
    if not missing:
        return [Check("scopes", OK, f"all {len(REQUIRED_SCOPES)} scopes of manifest.yml")]
    return [
        Check(
            "scopes",
            WARNING,
            f"the bot token lacks the scope {scope} ({REQUIRED_SCOPES[scope]}): add it under "
            "OAuth & Permissions > Bot Token Scopes (or update the app from manifest.yml), "
            "then reinstall the app",
        )
        for scope in missing
    ]


def _app_token_check(settings: Settings, client: WebClient) -> Check:
    try:
        client.apps_connections_open(app_token=settings.slack_app_token or "")
    except SlackApiError as error:
        code = _code(error)
        return Check(
            "SLACK_APP_TOKEN",
            ERROR,
            f"Slack refused the app-level token ({code}): generate one with the "
            "connections:write scope under Basic Information > App-Level Tokens",
            fatal=code in REFUSED,
        )
    except OSError as error:
        return Check("SLACK_APP_TOKEN", ERROR, f"could not reach Slack ({type(error).__name__})")
    return Check("SLACK_APP_TOKEN", OK, "Socket Mode connections can be opened")


def _hr_channel_check(settings: Settings, client: WebClient) -> Check:
    channel = settings.hr_channel_id
    if channel is None:
        return Check("HR_CHANNEL_ID", OK, "not set: HR notices are off")
    try:
        info = client.conversations_info(channel=channel)
    except SlackApiError as error:
        code = _code(error)
        if code == "channel_not_found":
            return Check(
                "HR_CHANNEL_ID",
                WARNING,
                f"Slack knows no channel {channel}, or it is private and the bot is not in it: "
                "check the id (channel details, bottom of the About tab) and type "
                f"{_INVITE} in the channel",
            )
        return Check("HR_CHANNEL_ID", WARNING, f"could not check {channel} ({code})")
    except OSError as error:
        problem = type(error).__name__
        return Check("HR_CHANNEL_ID", WARNING, f"could not check {channel} ({problem})")
    data = info.get("channel") or {}
    name = f"#{data['name']}" if data.get("name") else channel
    if data.get("is_archived"):
        return Check("HR_CHANNEL_ID", WARNING, f"{name} ({channel}) is archived: pick another")
    if not data.get("is_member"):
        return Check(
            "HR_CHANNEL_ID",
            WARNING,
            f"the bot is not a member of {name} ({channel}), so HR notices cannot be posted: "
            f"type {_INVITE} in {name}",
        )
    return Check("HR_CHANNEL_ID", OK, f"the bot is a member of {name}")


def _hr_user_checks(settings: Settings, client: WebClient) -> list[Check]:
    if not settings.hr_user_ids:
        return [Check("HR_USER_IDS", OK, "empty: nobody has HR rights")]
    how = "copy the id from the person's Slack profile: ⋮ (More) > Copy member ID"
    checks = []
    for user_id in sorted(settings.hr_user_ids):
        try:
            user = client.users_info(user=user_id).get("user") or {}
        except SlackApiError as error:
            code = _code(error)
            detail = (
                f"Slack knows no member {user_id}: {how}"
                if code == "user_not_found"
                else f"could not check {user_id} ({code})"
            )
            checks.append(Check("HR_USER_IDS", WARNING, detail))
            continue
        except OSError as error:
            checks.append(
                Check("HR_USER_IDS", WARNING, f"could not check {user_id} ({type(error).__name__})")
            )
            continue
        if user.get("deleted"):
            checks.append(Check("HR_USER_IDS", WARNING, f"{user_id} is a deactivated account"))
        elif user.get("is_bot"):
            checks.append(Check("HR_USER_IDS", WARNING, f"{user_id} is a bot, not a person"))
        else:
            checks.append(Check("HR_USER_IDS", OK, f"{user_id} is a member"))
    return checks
