"""Fuzz: NUL and control characters in every input of every route, on each database: no 5xx.

Every route of the app (:mod:`tests.test_http_edge_routes`) gets its plain request without
and with its audience's credential, then, with that credential, each path parameter, query
parameter and body field (JSON leaves, a JSON key, the raw bytes, form fields) in turn
replaced by a character the database cannot store (422 ``invalid_character``, whoever asks)
or by one it can (tab, newline, DEL: whatever the route answers, but never a 5xx).
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx

from tests.conftest import Fresh
from tests.test_http_edge_routes import (
    RENDERING,
    Endpoint,
    World,
    audience_of,
    build_world,
    endpoints,
)

# Refused in a path, a query string and a body alike.
REFUSED = ["a\x00b", "\x00", "a\x01b", "a\x1bb"]
# Refused in a path and a query string; a body may hold them.
REFUSED_IN_URL = ["a\tb", "a\nb"]
# A lone surrogate: refused in a JSON body (a URL cannot carry one).
LONE_SURROGATE = "a\ud800b"
# Stored as they are: the route answers whatever it answers, but never a 5xx.
STORABLE = ["a\x7fb", "\u2028", "a\tb\nc\rd", "a\U0001f600b"]
MAX_LEAVES = 12


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, (*path, index))
    elif isinstance(value, str):
        yield path


def _replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    copy = json.loads(json.dumps(value))
    target = copy
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = new
    return copy


class Run:
    """Sends the requests, and keeps every answer that breaks the rules.

    Each input gets one refused and one storable character, taken in turn from the lists, so
    the run stays bounded while every character reaches every kind of input many times.
    """

    def __init__(self, world: World) -> None:
        self.world = world
        self.sent = 0
        self.problems: list[str] = []
        self.url_refused = itertools.cycle(REFUSED + REFUSED_IN_URL)
        self.body_refused = itertools.cycle([*REFUSED, LONE_SURROGATE])
        self.form_refused = itertools.cycle(REFUSED)
        self.storable = itertools.cycle(STORABLE)
        self.anyone = itertools.cycle(world.credentials)

    def send(self, endpoint: Endpoint, who: str, what: str, **change: Any) -> httpx.Response:
        answer = endpoint.send(self.world.client, self.world.credentials[who], **change)
        self.sent += 1
        if answer.status_code >= 500:
            self.problems.append(
                f"{endpoint.method} {endpoint.template} as {who}, {what}: {answer.status_code}"
            )
        return answer

    def refused(self, endpoint: Endpoint, who: str, what: str, **change: Any) -> None:
        answer = self.send(endpoint, who, what, **change)
        code = answer.json().get("error", {}).get("code") if answer.status_code == 422 else None
        if code != "invalid_character":
            self.problems.append(
                f"{endpoint.method} {endpoint.template} as {who}, {what}: "
                f"{answer.status_code} {answer.text[:120]!r}, not invalid_character"
            )

    def endpoint(self, endpoint: Endpoint) -> None:
        who = audience_of(endpoint.template)
        self.send(endpoint, "none", "plain")
        if endpoint.template not in RENDERING:
            self.send(endpoint, who, "plain")
        # Whoever asks, or nobody: the edge refuses before any route or credential check.
        anyone = next(self.anyone)
        self.refused(endpoint, anyone, "NUL in an extra query parameter", query={"q": "\x00"})
        for name in endpoint.path_params:
            text = next(self.url_refused)
            self.refused(endpoint, who, f"{text!r} in path {name}", path_params={name: text})
            text = next(self.storable)
            self.send(endpoint, who, f"{text!r} in path {name}", path_params={name: text})
        for name in endpoint.query:
            text = next(self.url_refused)
            query = {**endpoint.query, name: text}
            self.refused(endpoint, who, f"{text!r} in query {name}", query=query)
            text = next(self.storable)
            query = {**endpoint.query, name: text}
            self.send(endpoint, who, f"{text!r} in query {name}", query=query)
        if endpoint.form is not None:
            self._form(endpoint, who)
        elif endpoint.json_body is not None:
            self._json(endpoint, who)

    def _form(self, endpoint: Endpoint, who: str) -> None:
        assert endpoint.form is not None
        for name in endpoint.form:
            text = next(self.form_refused)
            encoded = str(httpx.QueryParams({**endpoint.form, name: text})).encode()
            self.refused(endpoint, who, f"{text!r} in form {name}", content=encoded)
            text = next(self.storable)
            encoded = str(httpx.QueryParams({**endpoint.form, name: text})).encode()
            self.send(endpoint, who, f"{text!r} in form {name}", content=encoded)

    def _json(self, endpoint: Endpoint, who: str) -> None:
        body = endpoint.json_body
        for path in list(_leaves(body))[:MAX_LEAVES]:
            where = "/".join(str(step) for step in path) or "the body"
            text = next(self.body_refused)
            content = json.dumps(_replaced(body, path, text)).encode()
            self.refused(endpoint, who, f"{text!r} in {where}", content=content)
            text = next(self.storable)
            # The emoji as the escaped surrogate pair \ud83d\ude00, the rest as UTF-8.
            ascii_only = text == STORABLE[-1]
            content = json.dumps(_replaced(body, path, text), ensure_ascii=ascii_only).encode()
            self.send(endpoint, who, f"{text!r} in {where}", content=content)
        # A raw 0x00 byte inside a string, not an escape.
        marked = json.dumps(_replaced(body, next(_leaves(body), ()), "MARK-EDGE")).encode()
        raw = marked.replace(b"MARK-EDGE", b"a\x00b")
        self.refused(endpoint, who, "a raw NUL byte", content=raw)
        if isinstance(body, dict):
            keyed = json.dumps({**body, "k\x00ey": "x1"}).encode()
            self.refused(endpoint, who, "NUL in a key", content=keyed)
            nested = next((k for k, v in body.items() if isinstance(v, dict)), None)
            if nested is not None:
                deep = {**body, nested: {**body[nested], "\ud800": "x1"}}
                content = json.dumps(deep).encode()
                self.refused(endpoint, who, "a lone surrogate in a nested key", content=content)


def test_no_route_answers_a_5xx_to_nul_or_control_characters(fresh: Fresh) -> None:
    for world in build_world(fresh):
        run = Run(world)
        started = time.monotonic()
        walked = endpoints(world.app, world.ids)
        for endpoint in walked:
            run.endpoint(endpoint)
        elapsed = time.monotonic() - started
        assert run.problems == [], "\n".join(run.problems[:50])
        # Every route, every audience, thousands of requests: and still bounded.
        assert len(walked) > 100 and run.sent > 800, (len(walked), run.sent)
        assert elapsed < 45, elapsed
