"""The application served over real HTTP for tests, and an operator's client to it."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import httpx
import uvicorn

from gatehouse.app import create_app
from gatehouse.services.access import issue_operator_key
from gatehouse.services.runtime import Gatehouse

CLIENT_TIMEOUT = 30.0
"""How long a test's client waits for an answer. httpx's default of 5 s was once passed by a
single commit on a loaded CI machine; a real stall still fails, just later."""


def api_client(
    base_url: str,
    token: str | None = None,
    *,
    headers: Mapping[str, str] | None = None,
    timeout: float = CLIENT_TIMEOUT,
    **options: Any,
) -> httpx.Client:
    """A client to a live server, sending ``token`` as its Bearer credential."""
    sent = {**(headers or {}), **({"Authorization": f"Bearer {token}"} if token else {})}
    return httpx.Client(base_url=base_url, headers=sent, timeout=timeout, **options)


class LiveServer:
    """Uvicorn serving the app on a free loopback port, in a thread."""

    def __init__(self, gh: Gatehouse) -> None:
        # IPPROTO_TCP named, so asyncio sets TCP_NODELAY on each connection as it does on the
        # sockets uvicorn opens itself; without it a response's second write waits for the
        # client's delayed acknowledgement (about 40 ms a request).
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self.socket.bind(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        config = uvicorn.Config(
            create_app(gh), log_level="warning", access_log=False, lifespan="off"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.socket.close()


@contextmanager
def operator_api(
    gh: Gatehouse, timeout: float = CLIENT_TIMEOUT
) -> Iterator[tuple[LiveServer, httpx.Client]]:
    """A live server on ``gh``, and a client speaking to it with a new operator key."""
    with LiveServer(gh) as server:
        key = issue_operator_key(gh, gh.clock(), label="tests")
        with api_client(server.url, key, timeout=timeout) as api:
            yield server, api
