"""Uploading a file to Slack from disk without holding it in memory.

`WebClient.files_upload_v2` reads the whole file into one bytes object before sending it;
a report of 100,000 plans is megabytes the bot would keep for nothing. This takes the same
three steps (files.getUploadURLExternal, a POST of the bytes to the URL Slack gives,
files.completeUploadExternal) and streams the POST from the open file (http.client sends
a file object a block at a time), with the client's proxy, TLS context and timeout.
"""

from __future__ import annotations

import urllib.request
from pathlib import Path

from slack_sdk import WebClient
from slack_sdk.errors import SlackRequestError


def upload_file(
    client: WebClient,
    path: Path,
    *,
    channel: str,
    title: str,
    initial_comment: str,
) -> str:
    """Share the file at `path` in `channel`, streamed from disk; the new file's id."""
    size = path.stat().st_size
    issued = client.files_getUploadURLExternal(filename=path.name, length=size)
    file_id = str(issued["file_id"])
    handlers: list[urllib.request.BaseHandler] = [urllib.request.HTTPSHandler(context=client.ssl)]
    if client.proxy:
        handlers.append(urllib.request.ProxyHandler({"http": client.proxy, "https": client.proxy}))
    opener = urllib.request.build_opener(*handlers)
    with path.open("rb") as body:
        request = urllib.request.Request(
            str(issued["upload_url"]),
            data=body,
            method="POST",
            headers={"Content-Length": str(size), "Content-Type": "application/octet-stream"},
        )
        with opener.open(request, timeout=client.timeout) as answer:
            answer.read()
            if answer.status != 200:
                raise SlackRequestError(f"the file upload was answered {answer.status}")
    client.files_completeUploadExternal(
        files=[{"id": file_id, "title": title}],
        channel_id=channel,
        initial_comment=initial_comment,
    )
    return file_id
