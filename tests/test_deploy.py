"""The container files and the README agree with each other and with what the bot reads."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from startup import REQUIRED_SCOPES

ROOT = Path(__file__).resolve().parent.parent
BOT_SERVICES = ("web", "scheduler")
# The README's two commands, exactly as they were before the production section existed.
RUN_COMMAND = (
    "python3 -m venv .venv && .venv/bin/pip install -q -r requirements.txt"
    " && .venv/bin/python bot.py"
)
TEST_COMMAND = (
    "python3 -m venv .venv && .venv/bin/pip install -q -r requirements-dev.txt"
    " && .venv/bin/python -m pytest"
)


def _readme() -> str:
    return (ROOT / "README.md").read_text()


def _compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def variables_the_bot_reads() -> set[str]:
    """Every environment variable config.py reads (its `get("NAME")` calls)."""
    return set(re.findall(r'\bget\("([A-Z_]+)"\)', (ROOT / "config.py").read_text()))


def _block_after(marker: str) -> str:
    text = _readme().split(marker, 1)[1]
    return text.split("```sh\n", 1)[1].split("\n```", 1)[0]


def test_the_bot_reads_what_config_says() -> None:
    names = variables_the_bot_reads()
    assert {"SLACK_BOT_TOKEN", "DATABASE_URL", "SCHEDULER_ENABLED", "LOG_FORMAT"} <= names


def test_compose_runs_postgres_two_web_replicas_and_one_scheduler() -> None:
    services = _compose()["services"]
    assert set(services) == {"db", *BOT_SERVICES}
    db = services["db"]
    assert db["image"].startswith("postgres:")
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    volume = db["volumes"][0].split(":")[0]
    assert volume in _compose()["volumes"]  # a named volume, not a folder
    assert services["web"]["deploy"]["replicas"] == 2
    assert services["web"]["environment"]["SCHEDULER_ENABLED"] == "false"
    assert services["scheduler"]["environment"]["SCHEDULER_ENABLED"] == "true"
    assert "replicas" not in services["scheduler"].get("deploy", {})
    for name, service in services.items():
        assert service["restart"] == "unless-stopped", name
    for name in BOT_SERVICES:
        service = services[name]
        assert service["env_file"] == ".env"
        assert service["depends_on"]["db"]["condition"] == "service_healthy"
        assert service["build"] == "."


def test_compose_sets_only_variables_the_bot_reads() -> None:
    reads = variables_the_bot_reads()
    for name in BOT_SERVICES:
        environment = _compose()["services"][name]["environment"]
        assert set(environment) <= reads, (name, set(environment) - reads)
        assert environment["DATABASE_URL"].startswith("postgresql://pipbot:")


def test_every_variable_is_in_the_example_env_and_the_readme() -> None:
    example = (ROOT / ".env.example").read_text()
    readme = _readme()
    for name in variables_the_bot_reads():
        assert re.search(rf"^#? ?{name}=", example, re.MULTILINE), name
        assert f"| `{name}` |" in readme, name
    interpolated = set(re.findall(r"\$\{([A-Z_]+)", (ROOT / "compose.yaml").read_text()))
    for name in interpolated:
        assert re.search(rf"^#? ?{name}=", example, re.MULTILINE), name


def test_the_image_command_and_health_check_match_the_readme() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    lines = [line for line in dockerfile.splitlines() if line and not line.startswith("#")]
    assert re.match(r"FROM python:3\.\d+-slim$", lines[0])
    copy_requirements = lines.index("COPY requirements.txt ./")
    install = lines.index("RUN pip install --no-cache-dir -r requirements.txt")
    copy_all = next(i for i, line in enumerate(lines) if line.startswith("COPY --chown"))
    assert copy_requirements < install < copy_all  # dependencies in their own layer
    user = next(line for line in lines if line.startswith("USER "))
    assert user.split()[1] not in {"root", "0"}
    [cmd] = [line for line in lines if line.startswith("CMD ")]
    [health] = [line for line in lines if line.startswith("HEALTHCHECK ")]
    assert cmd == 'CMD ["python", "bot.py"]'
    health_cmd = health.split(" CMD ", 1)[1]
    assert health_cmd == '["python", "healthcheck.py"]'
    readme = _readme()
    assert f"`{cmd}`" in readme
    assert f"`HEALTHCHECK ... CMD {health_cmd}`" in readme
    assert (ROOT / "healthcheck.py").is_file()
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    for secret_or_bulk in (".env", ".venv", ".git", "*.db", "tests"):
        assert secret_or_bulk in ignored


def test_the_readme_production_section_points_at_compose() -> None:
    readme = _readme()
    section = readme.split("## Run in production", 1)[1].split("\n## ", 1)[0]
    assert "compose.yaml" in section and "docker compose up" in section
    assert "reverse_proxy" in section and "Socket Mode" in section and "HEALTH_PORT" in section
    assert "## Backups, restores and upgrades" in readme


def test_the_readme_two_commands_are_unchanged() -> None:
    assert _block_after("<!-- run-command -->") == RUN_COMMAND
    assert _block_after("<!-- test-command -->") == TEST_COMMAND


def test_the_readme_scope_list_is_the_manifests() -> None:
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    listed = _readme().split("<!-- scopes -->\n", 1)[1].split("\n\n", 1)[0].splitlines()
    scopes = [re.match(r"- `([a-z:.]+)`: (.+)$", line) for line in listed]
    assert all(scopes), listed
    assert [m[1] for m in scopes if m] == manifest["oauth_config"]["scopes"]["bot"]
    for match in scopes:
        assert match is not None
        assert match[2] == REQUIRED_SCOPES[match[1]]


def test_the_readme_says_how_to_switch_to_http_mode_and_find_member_ids() -> None:
    readme = _readme()
    for key in ("socket_mode_enabled: false", "request_url:", "url: https://"):
        assert key in readme, key
    assert "Copy member ID" in readme
    assert "Who can open plans" in readme


def _merge(base: Any, change: Any) -> Any:
    if isinstance(base, dict) and isinstance(change, dict):
        return {**base, **{k: _merge(base.get(k), v) for k, v in change.items()}}
    if isinstance(base, list) and isinstance(change, list):
        return [_merge(b, c) for b, c in zip(base, change, strict=True)]
    return change


def test_the_readme_http_mode_manifest_is_valid_under_slacks_schema() -> None:
    import json

    import pytest
    from jsonschema import Draft7Validator

    from tests.test_manifest import SCHEMA_PATH, find_schema

    schema = find_schema()
    if schema is None:
        pytest.skip(f"the HTTP-mode manifest was NOT validated: {SCHEMA_PATH} was not found")
    snippet = _readme().split("For HTTP mode instead", 1)[1].split("```yaml\n", 1)[1]
    change = yaml.safe_load(snippet.split("```", 1)[0])
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    http = _merge(manifest, change)
    assert http["settings"]["socket_mode_enabled"] is False
    assert http["features"]["slash_commands"][0]["command"] == "/pip"
    urls = {
        http["features"]["slash_commands"][0]["url"],
        http["settings"]["event_subscriptions"]["request_url"],
        http["settings"]["interactivity"]["request_url"],
    }
    assert urls == {"https://pip.example.com/slack/events"}
    validator = Draft7Validator(json.loads(schema.read_text()))
    assert sorted(validator.iter_errors(http), key=str) == []
