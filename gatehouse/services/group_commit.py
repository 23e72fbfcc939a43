"""Group commit: concurrent requests in one process share one transaction.

A request that arrives while no group is being committed runs at once, alone, so a lone
caller waits for nothing. A request that arrives while a group is committing joins the next
group; that group's first member leads it: it waits for the commit in progress, or at most
``max_wait``, or until ``max_items`` have joined, then runs them all in one transaction.
Every member gets its own answer, and only after the commit that holds it.

When the group's transaction fails as a whole, each member is run again alone, so one
member's failure (say, a write the database refuses) never fails the others.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

__all__ = ["GroupCommit", "Member"]

T = TypeVar("T")
R = TypeVar("R")


@dataclass
class Member(Generic[T, R]):
    """One request in a group: what was asked, and, once committed, its answer or error."""

    item: T
    done: threading.Event = field(default_factory=threading.Event)
    result: R | None = None
    error: BaseException | None = None

    def answer(self) -> R:
        """Wait for the group's commit; the result, or the member's own error raised."""
        self.done.wait()
        if self.error is not None:
            raise self.error
        assert self.result is not None
        return self.result


Runner = Callable[[Sequence[T]], Sequence[R | BaseException]]
"""Runs items in one transaction and commits: a result or the item's own error for each, in
order; raises when the transaction as a whole fails."""


class GroupCommit(Generic[T, R]):
    """Gathers concurrent :meth:`submit` calls into groups run by ``runner``."""

    def __init__(self, *, max_wait: float = 0.002, max_items: int = 64) -> None:
        self.max_wait, self.max_items = max_wait, max_items
        self._lock = threading.Lock()
        self._joined = threading.Condition(self._lock)
        self._committed = threading.Condition(self._lock)
        self._waiting: list[Member[T, R]] = []
        self._committing = 0
        self._leader = False

    def submit(self, item: T, runner: Runner[T, R]) -> R:
        """Run ``item`` in a group, and return its result once that group has committed."""
        member: Member[T, R] = Member(item)
        with self._lock:
            if self._committing == 0 and not self._leader:
                # Nothing to wait for: run alone, at once.
                self._committing += 1
                group = [member]
            else:
                self._waiting.append(member)
                if self._leader:
                    if len(self._waiting) >= self.max_items:
                        self._joined.notify_all()
                    group = []
                else:
                    self._leader = True
                    group = self._gather()
        if group:
            self._run(group, runner)
        return member.answer()

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
                answers = runner([m.item for m in group])
            except BaseException as failure:
                if len(group) == 1:
                    answers = [failure]
                else:
                    answers = [self._alone(m.item, runner) for m in group]
            for member, answer in zip(group, answers, strict=True):
                if isinstance(answer, BaseException):
                    member.error = answer
                else:
                    member.result = answer
        finally:
            with self._lock:
                self._committing -= 1
                self._joined.notify_all()
            for member in group:
                member.done.set()

    @staticmethod
    def _alone(item: T, runner: Runner[T, R]) -> R | BaseException:
        try:
            return runner([item])[0]
        except BaseException as failure:
            return failure
