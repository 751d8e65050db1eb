"""The cast and the secrets the tests share: plain values, importable without the fixtures."""

from __future__ import annotations

SIGNING_SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-token"
MANAGER, EMPLOYEE, HR, OTHER_MANAGER, OUTSIDER = (
    "UMANAGER",
    "UEMPLOYEE",
    "UHR",
    "UOTHERMGR",
    "UOUTSIDER",
)
HR_CHANNEL = "CHRNOTICES"
