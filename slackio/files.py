"""Uploading files to Slack: streamed from disk, or several at once as each is made.

`WebClient.files_upload_v2` reads the whole file into one bytes object before sending it;
a report of 100,000 plans is megabytes the bot would keep for nothing. `upload_file` takes
the same three steps (files.getUploadURLExternal, a POST of the bytes to the URL Slack gives,
files.completeUploadExternal) and streams the POST from the open file (http.client sends
a file object a block at a time), with the client's proxy, TLS context and timeout.

`files_upload_v2` with several files also waits: every file must be made before the first
is sent, and the seven calls of three files go one after another. `SharedFiles` sends each
file (its upload URL, then its bytes) on a small pool as soon as it is made, while the
caller makes the next, and shares them all with one files.completeUploadExternal.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from types import TracebackType
from typing import IO, Any, TypeVar

from slack_sdk import WebClient
from slack_sdk.errors import SlackRequestError

from logs import ContextExecutor

T = TypeVar("T")


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
    with path.open("rb") as body:
        _post(client, str(issued["upload_url"]), body, size)
    client.files_completeUploadExternal(
        files=[{"id": file_id, "title": title}],
        channel_id=channel,
        initial_comment=initial_comment,
    )
    return file_id


def _post(client: WebClient, url: str, body: bytes | IO[bytes], size: int) -> None:
    """POST `body` to an upload URL Slack issued, with the client's proxy, TLS and timeout."""
    handlers: list[urllib.request.BaseHandler] = [urllib.request.HTTPSHandler(context=client.ssl)]
    if client.proxy:
        handlers.append(urllib.request.ProxyHandler({"http": client.proxy, "https": client.proxy}))
    opener = urllib.request.build_opener(*handlers)
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Length": str(size), "Content-Type": "application/octet-stream"},
    )
    with opener.open(request, timeout=client.timeout) as answer:
        answer.read()
        if answer.status != 200:
            raise SlackRequestError(f"the file upload was answered {answer.status}")


class SharedFiles:
    """Files to share in one message, each sent to Slack as soon as it is `add`ed.

    Use it as a context manager: leaving it waits for the uploads still running, so that
    nothing is left behind when making a file fails. Until `share` nobody sees a file;
    a file sent but never shared is discarded by Slack. `client` is called from the pool's
    threads: it must not be one that touches the caller's database session (a listener
    passes `handlers.context.off_thread(client)`, having committed).
    """

    def __init__(self, client: WebClient, *, workers: int = 3) -> None:
        self.client = client
        self.pool = ContextExecutor(max_workers=workers, thread_name_prefix="upload")
        self.sent: list[tuple[Future[str], str]] = []

    def __enter__(self) -> SharedFiles:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)

    def beside(self, call: Callable[..., T], /, *args: Any) -> Future[T]:
        """Run another Slack call (say, opening the DM) on the pool, beside the uploads."""
        return self.pool.submit(call, *args)

    def add(self, content: bytes | str, *, filename: str, title: str) -> None:
        """Start sending `content` (text as UTF-8) as the file `filename` titled `title`."""
        data = content.encode("utf-8") if isinstance(content, str) else content
        self.sent.append((self.pool.submit(self._send, data, filename), title))

    def _send(self, data: bytes, filename: str) -> str:
        issued = self.client.files_getUploadURLExternal(filename=filename, length=len(data))
        _post(self.client, str(issued["upload_url"]), data, len(data))
        return str(issued["file_id"])

    def share(self, *, channel: str, initial_comment: str) -> list[str]:
        """Share every file added, in that order, in `channel`; their ids.

        The first upload that failed raises its error here and nothing is shared.
        """
        files = [{"id": sent.result(), "title": title} for sent, title in self.sent]
        self.client.files_completeUploadExternal(
            files=files, channel_id=channel, initial_comment=initial_comment
        )
        return [f["id"] for f in files]
