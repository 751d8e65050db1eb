"""The container's health check: exit 0 when the bot's /healthz answers 200, else 1.

It asks the port the bot serves /healthz on: HEALTH_PORT when set (Socket Mode), else PORT.
Only the standard library, so it stays cheap to run every 30 seconds.
"""

from __future__ import annotations

import os
import sys
import urllib.request


def main() -> int:
    """Ask /healthz on localhost; 0 when it answers 200."""
    port = os.environ.get("HEALTH_PORT", "").strip() or os.environ.get("PORT", "").strip()
    url = f"http://127.0.0.1:{port or '3000'}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=4) as response:
            return 0 if response.status == 200 else 1
    except OSError:
        return 1


if __name__ == "__main__":
    sys.exit(main())
