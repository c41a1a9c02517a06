"""A first-come, first-served line for the language model, which can say where a waiter stands.

One embedded model on a few cores writes one answer at a time. Everything before generation
(retrieval, the source panel) runs for every user at once; only generation waits here, and
while it waits the pipeline can tell the user their place in line and an estimate of the wait
(the mean of recent generation times).
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Callable, Iterator

RECENT_RUNS = 8  # generation times kept for the estimate


@dataclass(frozen=True)
class Place:
    """Where a waiting request stands: how many requests are ahead and the estimated wait in seconds."""

    ahead: int
    wait_s: float | None  # None until one generation has been timed


class GenerationQueue:
    """``slots`` generations at a time; the rest wait in arrival order."""

    def __init__(self, slots: int = 1, clock: Callable[[], float] = time.monotonic):
        self.slots = max(1, slots)
        self._clock = clock
        self._cond = threading.Condition()
        self._numbers = itertools.count()
        self._waiting: deque[int] = deque()
        self._running: dict[int, float] = {}  # ticket number -> start time
        self._recent: deque[float] = deque(maxlen=RECENT_RUNS)

    def join(self) -> "Ticket":
        """Take a place at the end of the line (leave it by closing the ticket)."""
        with self._cond:
            number = next(self._numbers)
            self._waiting.append(number)
            return Ticket(self, number)

    def waiting(self) -> int:
        """Requests waiting for a slot now."""
        with self._cond:
            return len(self._waiting)

    def idle(self) -> bool:
        """Nobody is generating or waiting: background work (example questions) may take a turn."""
        with self._cond:
            return not self._waiting and not self._running

    def _place(self, number: int) -> Place:
        queued_ahead = self._waiting.index(number)
        ahead = queued_ahead + len(self._running)
        if not self._recent:
            return Place(ahead, None)
        mean = sum(self._recent) / len(self._recent)
        now = self._clock()
        soonest_free = min((max(mean - (now - start), 1.0) for start in self._running.values()), default=0.0)
        return Place(ahead, float(round(soonest_free + queued_ahead * mean / self.slots)))

    def _may_start(self, number: int) -> bool:
        return self._waiting[0] == number and len(self._running) < self.slots


class Ticket:
    """A place in a :class:`GenerationQueue`; ``wait()`` until it is this one's turn, close it when done."""

    def __init__(self, queue: GenerationQueue, number: int):
        self._queue = queue
        self._number = number
        self.started = False

    def wait(self, poll_s: float = 1.0) -> Iterator[Place]:
        """Yield this request's place whenever it changes; return once it holds a slot."""
        q, last = self._queue, None
        while True:
            with q._cond:
                if q._may_start(self._number):
                    q._waiting.popleft()
                    q._running[self._number] = q._clock()
                    self.started = True
                    return
                place = q._place(self._number)
            if place != last:
                last = place
                yield place  # outside the lock: the caller may take its time reporting it
            with q._cond:
                if not q._may_start(self._number):
                    q._cond.wait(poll_s)

    def close(self) -> None:
        """Free the slot (recording how long it was held) or leave the line."""
        q = self._queue
        with q._cond:
            if self.started:
                q._recent.append(q._clock() - q._running.pop(self._number))
                self.started = False
            elif self._number in q._waiting:
                q._waiting.remove(self._number)
            q._cond.notify_all()

    def __enter__(self) -> "Ticket":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def describe_place(place: Place) -> str:
    """The wait as the user reads it."""
    ahead = f"{place.ahead} question{'s' if place.ahead != 1 else ''} ahead of yours"
    if place.wait_s is None:
        return f"Waiting for the language model: {ahead}."
    return f"Waiting for the language model: {ahead}, about {max(1, round(place.wait_s))} s."
