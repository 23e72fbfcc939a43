"""Group commit: concurrent requests in one process share one transaction.

A request that arrives while no group is being committed runs at once, alone, so a lone
caller waits for nothing. A request that arrives while a group is committing joins the next
group; that group's first member leads it: it waits for the commit in progress, or at most
``max_wait``, or until ``max_items`` have joined, then runs them all in one transaction.
Every member gets its own answer, and only after the commit that holds it.

When the group's transaction fails as a whole, each member is run again alone, so one
member's failure (say, a write the database refuses) never fails the others.

Two ways in. :meth:`GroupCommit.submit`, from a thread, blocks that thread, which may lead
and run a group itself. :meth:`GroupCommit.submit_async`, from an event loop, never blocks
it: the group runs on the commit threads (shared by every group commit of the process), and
the loop's members are answered through their futures, one wake-up of the loop per group.

Each member may carry a ``tag`` (say, the API key it came with): while a group runs,
:func:`running_tags` names the tags of its members, so a check made inside the group's
transaction (see :mod:`gatehouse.services.key_cache`) can refuse the group; it is then run
again member by member, and only the member at fault is refused.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Generic, TypeVar

__all__ = ["GroupCommit", "Member", "Runner", "running_tags"]

T = TypeVar("T")
R = TypeVar("R")

# Enough for a group committing and the next one gathering in each of a process's few group
# commits; a further group queues for a thread, and its members join it meanwhile.
_COMMIT_THREADS = 8
_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()
_TAGS: ContextVar[tuple[object, ...]] = ContextVar("group_commit_tags", default=())


def running_tags() -> tuple[object, ...]:
    """The tags of the members whose group runs in this thread now; empty outside a group."""
    return _TAGS.get()


def _commit_threads() -> ThreadPoolExecutor:
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(_COMMIT_THREADS, thread_name_prefix="group-commit")
        return _executor


@dataclass
class Member(Generic[T, R]):
    """One request in a group: what was asked, and, once committed, its answer or error."""

    item: T
    tag: object = None
    done: threading.Event = field(default_factory=threading.Event)
    result: R | None = None
    error: BaseException | None = None
    # Set for a member waiting on an event loop instead of a thread.
    future: asyncio.Future[R] | None = None

    def answer(self) -> R:
        """Wait for the group's commit; the result, or the member's own error raised."""
        self.done.wait()
        if self.error is not None:
            raise self.error
        assert self.result is not None
        return self.result

    def settle(self) -> None:
        """Hand the answer to the member's future, on the future's own loop."""
        future = self.future
        assert future is not None
        # The awaiting request may have gone (a client that hung up): nobody is left to tell.
        if future.done():
            return
        if self.error is not None:
            future.set_exception(self.error)
        else:
            future.set_result(self.result)  # type: ignore[arg-type]


Runner = Callable[[Sequence[T]], Sequence[R | BaseException]]
"""Runs items in one transaction and commits: a result or the item's own error for each, in
order; raises when the transaction as a whole fails."""


def _settle_all(members: list[Member[T, R]]) -> None:
    for member in members:
        member.settle()


class GroupCommit(Generic[T, R]):
    """Gathers concurrent :meth:`submit` calls into groups run by ``runner``."""

    def __init__(self, *, max_wait: float = 0.002, max_items: int = 64) -> None:
        self.max_wait, self.max_items = max_wait, max_items
        self._lock = threading.Lock()
        self._joined = threading.Condition(self._lock)
        self._waiting: list[Member[T, R]] = []
        self._committing = 0
        self._leader = False

    def submit(self, item: T, runner: Runner[T, R], *, tag: object = None) -> R:
        """Run ``item`` in a group, and return its result once that group has committed."""
        member: Member[T, R] = Member(item, tag)
        group = self._join(member, lead=True)
        if group:
            self._run(group, runner)
        return member.answer()

    async def submit_async(self, item: T, runner: Runner[T, R], *, tag: object = None) -> R:
        """Like :meth:`submit`, awaited on an event loop that it never blocks."""
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        member: Member[T, R] = Member(item, tag, future=future)
        group = self._join(member, lead=False)
        if group:
            # Alone: nothing to wait for, so its transaction starts at once on a commit thread.
            _commit_threads().submit(self._run, group, runner)
        elif group is None:
            _commit_threads().submit(self._lead, runner)
        return await future

    def _join(self, member: Member[T, R], *, lead: bool) -> list[Member[T, R]] | None:
        """Take ``member`` in: the group it runs in now (itself alone, or, when ``lead``, the
        group it gathered); ``[]`` when another leads it; None when a leader must be found."""
        with self._lock:
            if self._committing == 0 and not self._leader:
                # Nothing to wait for: run alone, at once.
                self._committing += 1
                return [member]
            self._waiting.append(member)
            if self._leader:
                if len(self._waiting) >= self.max_items:
                    self._joined.notify_all()
                return []
            self._leader = True
            return self._gather() if lead else None

    def _lead(self, runner: Runner[T, R]) -> None:
        """On a commit thread: gather the group a member on a loop started, and run it."""
        with self._lock:
            group = self._gather()
        self._run(group, runner)

    def _gather(self) -> list[Member[T, R]]:
        """As the leader, with the lock held: wait, then take the group and count it in."""
        deadline = time.monotonic() + self.max_wait
        while len(self._waiting) < self.max_items and self._committing:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            self._joined.wait(remaining)
        # Everyone who joined goes: a member left behind would have no one to lead it.
        group, self._waiting = self._waiting, []
        self._leader = False
        self._committing += 1
        return group

    def _run(self, group: list[Member[T, R]], runner: Runner[T, R]) -> None:
        try:
            try:
                answers = self._tagged(group, runner)
            except BaseException as failure:
                alone = len(group) == 1
                answers = [failure] if alone else [self._alone(m, runner) for m in group]
            for member, answer in zip(group, answers, strict=True):
                if isinstance(answer, BaseException):
                    member.error = answer
                else:
                    member.result = answer
        finally:
            with self._lock:
                self._committing -= 1
                self._joined.notify_all()
            self._answer(group)

    @staticmethod
    def _answer(group: list[Member[T, R]]) -> None:
        """Wake every member: threads by their events, each loop once for all of its own."""
        by_loop: dict[asyncio.AbstractEventLoop, list[Member[T, R]]] = {}
        for member in group:
            if member.future is None:
                member.done.set()
            else:
                by_loop.setdefault(member.future.get_loop(), []).append(member)
        for loop, members in by_loop.items():
            # A loop that has closed took its requests with it: nobody is left to answer.
            with suppress(RuntimeError):
                loop.call_soon_threadsafe(_settle_all, members)

    @staticmethod
    def _tagged(group: list[Member[T, R]], runner: Runner[T, R]) -> Sequence[R | BaseException]:
        token = _TAGS.set(tuple(m.tag for m in group))
        try:
            return runner([m.item for m in group])
        finally:
            _TAGS.reset(token)

    @classmethod
    def _alone(cls, member: Member[T, R], runner: Runner[T, R]) -> R | BaseException:
        try:
            return cls._tagged([member], runner)[0]
        except BaseException as failure:
            return failure
