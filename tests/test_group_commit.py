"""Group commit on its own, with no database: who waits, who leads, who gets which answer."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Sequence

import pytest

from gatehouse.services.group_commit import GroupCommit, Runner, running_tags


class Flaky(Exception):
    """An item's own failure, or a whole group's."""


class Recorder:
    """A runner that records each group, holds the first one open until told, and fails
    items or whole groups on request."""

    def __init__(self) -> None:
        self.groups: list[list[int]] = []
        self.first_started = threading.Event()
        self.release_first = threading.Event()
        self.fail_groups_with: set[int] = set()

    def __call__(self, items: Sequence[int]) -> list[int | BaseException]:
        self.groups.append(list(items))
        if len(self.groups) == 1:
            self.first_started.set()
            assert self.release_first.wait(5)
        if len(items) > 1 and self.fail_groups_with & set(items):
            raise Flaky("the group's transaction failed")
        return [Flaky(f"item {i}") if i < 0 else i * 10 for i in items]


def _submit_all(
    groups: GroupCommit[int, int], runner: Recorder, items: list[int]
) -> dict[int, int | BaseException]:
    answers: dict[int, int | BaseException] = {}

    def one(item: int) -> None:
        try:
            answers[item] = groups.submit(item, runner)
        except Flaky as error:
            answers[item] = error

    threads = [threading.Thread(target=one, args=(i,)) for i in items]
    for thread in threads:
        thread.start()
    return _joined(threads, answers)


def _joined(
    threads: list[threading.Thread], answers: dict[int, int | BaseException]
) -> dict[int, int | BaseException]:
    for thread in threads:
        thread.join(10)
        assert not thread.is_alive()
    return answers


def test_a_lone_request_runs_at_once_without_waiting() -> None:
    groups: GroupCommit[int, int] = GroupCommit(max_wait=5.0)
    runner = Recorder()
    runner.release_first.set()
    started = time.perf_counter()
    assert groups.submit(3, runner) == 30
    assert time.perf_counter() - started < 1.0  # not the 5 s it may wait in a crowd
    assert runner.groups == [[3]]


def test_requests_arriving_during_a_commit_share_the_next_group() -> None:
    groups: GroupCommit[int, int] = GroupCommit(max_wait=5.0, max_items=64)
    runner = Recorder()
    first = threading.Thread(target=groups.submit, args=(1, runner))
    first.start()
    assert runner.first_started.wait(5)
    answers: dict[int, int | BaseException] = {}
    threads = [
        threading.Thread(target=lambda i=i: answers.__setitem__(i, groups.submit(i, runner)))
        for i in range(2, 8)
    ]
    for thread in threads:
        thread.start()
    time.sleep(0.2)  # all six have joined the waiting group by now
    runner.release_first.set()
    first.join(5)
    _joined(threads, answers)
    assert runner.groups[0] == [1]
    assert sorted(runner.groups[1]) == [2, 3, 4, 5, 6, 7] and len(runner.groups) == 2
    assert answers == {i: i * 10 for i in range(2, 8)}


def test_one_members_error_is_its_own() -> None:
    groups: GroupCommit[int, int] = GroupCommit(max_wait=5.0)
    runner = Recorder()
    first = threading.Thread(target=groups.submit, args=(1, runner))
    first.start()
    assert runner.first_started.wait(5)
    answers = {}
    threads = [threading.Thread(target=_catching(groups, runner, i, answers)) for i in (2, -3, 4)]
    for thread in threads:
        thread.start()
    time.sleep(0.2)
    runner.release_first.set()
    first.join(5)
    _joined(threads, answers)
    assert answers[2] == 20 and answers[4] == 40
    assert isinstance(answers[-3], Flaky) and str(answers[-3]) == "item -3"
    assert len(runner.groups) == 2  # one group, one transaction, three answers


def test_a_failed_group_is_run_again_one_by_one() -> None:
    groups: GroupCommit[int, int] = GroupCommit(max_wait=5.0)
    runner = Recorder()
    runner.fail_groups_with = {5}
    first = threading.Thread(target=groups.submit, args=(1, runner))
    first.start()
    assert runner.first_started.wait(5)
    answers = {}
    threads = [threading.Thread(target=_catching(groups, runner, i, answers)) for i in (5, 6, 7)]
    for thread in threads:
        thread.start()
    time.sleep(0.2)
    runner.release_first.set()
    first.join(5)
    _joined(threads, answers)
    assert answers == {5: 50, 6: 60, 7: 70}
    assert sorted(runner.groups[1]) == [5, 6, 7]
    assert sorted(g[0] for g in runner.groups[2:]) == [5, 6, 7]  # then each alone


def _catching(
    groups: GroupCommit[int, int], runner: Recorder, item: int, answers: dict[int, object]
) -> object:
    def run() -> None:
        try:
            answers[item] = groups.submit(item, runner)
        except Flaky as error:
            answers[item] = error

    return run


@pytest.mark.parametrize("crowd", [1, 16])
def test_every_member_gets_exactly_its_own_answer(crowd: int) -> None:
    groups: GroupCommit[int, int] = GroupCommit(max_wait=0.002, max_items=4)
    runner = Recorder()
    runner.release_first.set()
    answers = _submit_all(groups, runner, list(range(1, crowd + 1)))
    assert answers == {i: i * 10 for i in range(1, crowd + 1)}
    assert sorted(i for group in runner.groups for i in group) == list(range(1, crowd + 1))


def _gathered(
    groups: GroupCommit[int, int], runner: Runner[int, int], items: list[int]
) -> list[object]:
    """Submit ``items`` together from one event loop; each one's answer or error, in order."""

    async def all_of() -> list[object]:
        tasks = [groups.submit_async(i, runner, tag=f"tag {i}") for i in items]
        return list(await asyncio.gather(*tasks, return_exceptions=True))

    return asyncio.run(all_of())


def _held_first(groups: GroupCommit[int, int], runner: Recorder) -> threading.Thread:
    """A first group, from a thread, that holds its commit open until the runner is told."""
    first = threading.Thread(target=groups.submit, args=(1, runner))
    first.start()
    assert runner.first_started.wait(5)
    threading.Timer(0.2, runner.release_first.set).start()
    return first


def test_members_on_a_loop_join_the_group_behind_a_commit_and_get_their_own_answers() -> None:
    groups: GroupCommit[int, int] = GroupCommit(max_wait=5.0)
    runner = Recorder()
    first = _held_first(groups, runner)
    answers = _gathered(groups, runner, [2, -3, 4])
    first.join(5)
    assert answers[0] == 20 and answers[2] == 40
    assert isinstance(answers[1], Flaky) and str(answers[1]) == "item -3"
    # Answered only after the commit held open, in one group behind it.
    assert runner.groups[0] == [1] and sorted(runner.groups[1]) == [-3, 2, 4]
    assert len(runner.groups) == 2


def test_a_lone_member_on_a_loop_runs_at_once_off_the_loop() -> None:
    groups: GroupCommit[int, int] = GroupCommit(max_wait=5.0)
    threads: list[str] = []

    def runner(items: Sequence[int]) -> list[int | BaseException]:
        threads.append(threading.current_thread().name)
        return [i * 10 for i in items]

    started = time.perf_counter()
    assert _gathered(groups, runner, [3]) == [30]
    assert time.perf_counter() - started < 1.0
    assert threads[0].startswith("group-commit") and threads[0] != "MainThread"


def test_a_failed_group_on_a_loop_is_run_again_one_by_one_with_each_tag() -> None:
    groups: GroupCommit[int, int] = GroupCommit(max_wait=5.0)
    runner = Recorder()
    runner.fail_groups_with = {5}
    seen: list[tuple[object, ...]] = []
    original = runner.__call__

    def tagged(items: Sequence[int]) -> list[int | BaseException]:
        seen.append(running_tags())
        return original(items)

    first = _held_first(groups, runner)
    answers = _gathered(groups, tagged, [5, 6, 7])
    first.join(5)
    assert answers == [50, 60, 70]
    assert sorted(str(tag) for tag in seen[0]) == ["tag 5", "tag 6", "tag 7"]
    assert sorted(str(tags) for tags in seen[1:]) == ["('tag 5',)", "('tag 6',)", "('tag 7',)"]
    assert running_tags() == ()


def test_threads_and_a_loop_share_one_group() -> None:
    groups: GroupCommit[int, int] = GroupCommit(max_wait=5.0)
    runner = Recorder()
    first = threading.Thread(target=groups.submit, args=(1, runner))
    first.start()
    assert runner.first_started.wait(5)
    answers: dict[int, int | BaseException] = {}
    thread = threading.Thread(target=lambda: answers.__setitem__(2, groups.submit(2, runner)))
    thread.start()
    time.sleep(0.1)  # the thread leads the next group now
    threading.Timer(0.2, runner.release_first.set).start()
    assert _gathered(groups, runner, [3, 4]) == [30, 40]
    _joined([first, thread], answers)
    assert answers == {2: 20}
    assert sorted(runner.groups[1]) == [2, 3, 4] and len(runner.groups) == 2


def _from_a_thread(groups: GroupCommit[int, int], runner: Recorder, item: int) -> object:
    return groups.submit(item, runner)


def _from_a_loop(groups: GroupCommit[int, int], runner: Recorder, item: int) -> object:
    return _gathered(groups, runner, [item])[0]


@pytest.mark.parametrize("submit", [_from_a_thread, _from_a_loop], ids=["thread", "loop"])
def test_a_member_waits_at_most_max_wait_behind_a_commit(
    submit: Callable[[GroupCommit[int, int], Recorder, int], object],
) -> None:
    groups: GroupCommit[int, int] = GroupCommit(max_wait=0.05)
    runner = Recorder()
    first = threading.Thread(target=groups.submit, args=(1, runner))
    first.start()
    assert runner.first_started.wait(5)
    started = time.perf_counter()
    assert submit(groups, runner, 2) == 20  # the first commit is still held open
    assert time.perf_counter() - started < 2.0
    runner.release_first.set()
    first.join(5)
    assert runner.groups == [[1], [2]]


def test_a_member_that_stopped_waiting_leaves_the_others_their_answers() -> None:
    groups: GroupCommit[int, int] = GroupCommit(max_wait=5.0)
    runner = Recorder()
    first = _held_first(groups, runner)

    async def one_gives_up() -> list[object]:
        quitter = asyncio.ensure_future(groups.submit_async(2, runner))
        stayer = asyncio.ensure_future(groups.submit_async(3, runner))
        await asyncio.sleep(0.05)
        quitter.cancel()
        return list(await asyncio.gather(quitter, stayer, return_exceptions=True))

    answers = asyncio.run(one_gives_up())
    first.join(5)
    assert isinstance(answers[0], asyncio.CancelledError) and answers[1] == 30
    assert sorted(runner.groups[1]) == [2, 3]  # the work was done all the same
