"""The floor: a bare Bolt app on waitress that acks `/pip` and opens a static modal.

Run: `.venv/bin/python -m bench.floor_app --port 3999 --api-url http://127.0.0.1:NNNN/api/`.
Whatever PIP Bot does on top of this is its own cost; the submission bench compares the two
in the same run. Same WSGI thread count as bot.py.
"""

from __future__ import annotations

import argparse
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from waitress.server import create_server

from bench.harness import SECRET, TOKEN
from bot import WSGI_THREADS

MODAL = {
    "type": "modal",
    "callback_id": "floor",
    "title": {"type": "plain_text", "text": "Floor"},
    "close": {"type": "plain_text", "text": "Close"},
    "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Nothing to see."}}],
}


def build(api_url: str) -> App:
    """The floor app: one command listener."""
    app = App(
        client=WebClient(token=TOKEN, base_url=api_url),
        signing_secret=SECRET,
        token_verification_enabled=False,
    )

    @app.command("/pip")
    def floor(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=MODAL)

    return app


def main() -> None:
    """Serve the floor app on 127.0.0.1 until killed."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--api-url", required=True)
    args = parser.parse_args()
    handler = SlackRequestHandler(build(args.api_url), path="/slack/events")

    def application(environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("PATH_INFO") == "/healthz":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]
        return handler(environ, start_response)

    create_server(application, host="127.0.0.1", port=args.port, threads=WSGI_THREADS).run()


if __name__ == "__main__":
    main()
