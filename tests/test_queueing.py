"""The model's line: order, places, estimates and leaving it (no model, no threads timing on wall clock)."""

from __future__ import annotations

import threading

from qa_bot.queueing import GenerationQueue, Place, describe_place


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_first_comer_starts_at_once_and_others_wait_in_order():
    queue = GenerationQueue(1)
    first, second, third = queue.join(), queue.join(), queue.join()
    assert list(first.wait()) == [] and first.started
    assert next(second.wait(poll_s=0.01)) == Place(ahead=1, wait_s=None)  # nothing timed yet: no estimate
    assert next(third.wait(poll_s=0.01)) == Place(ahead=2, wait_s=None)
    first.close()
    assert list(second.wait()) == [] and second.started  # the line moves in arrival order
    assert next(third.wait(poll_s=0.01)).ahead == 1


def test_estimate_counts_the_running_answer_and_those_queued_ahead():
    clock = Clock()
    queue = GenerationQueue(1, clock=clock)
    with queue.join() as t:  # one answer timed at 10 s
        list(t.wait())
        clock.now += 10
    running = queue.join()
    list(running.wait())
    clock.now += 4  # the running answer is 4 s in, so about 6 s are left
    queue.join()  # one more waiting ahead of the last
    last = queue.join()
    assert next(last.wait(poll_s=0.01)) == Place(ahead=2, wait_s=16.0)


def test_leaving_the_line_lets_the_next_one_in():
    queue = GenerationQueue(1)
    first, quitter, patient = queue.join(), queue.join(), queue.join()
    list(first.wait())
    quitter.close()  # e.g. the user closed the tab while waiting
    assert next(patient.wait(poll_s=0.01)).ahead == 1
    first.close()
    assert list(patient.wait()) == [] and queue.waiting() == 0


def test_two_slots_run_two_at_once():
    queue = GenerationQueue(2)
    a, b, c = queue.join(), queue.join(), queue.join()
    assert list(a.wait()) == [] and list(b.wait()) == []
    assert next(c.wait(poll_s=0.01)).ahead == 2


def test_a_waiter_is_woken_when_the_slot_frees():
    queue = GenerationQueue(1)
    holder = queue.join()
    list(holder.wait())
    waiter = queue.join()
    places: list[Place] = []
    done = threading.Event()

    def wait():
        places.extend(waiter.wait(poll_s=5.0))  # would take 5 s per poll if not woken
        done.set()

    threading.Thread(target=wait, daemon=True).start()
    threading.Timer(0.05, holder.close).start()
    assert done.wait(2.0), "the waiter was not woken when the slot was freed"
    assert places == [Place(ahead=1, wait_s=None)] and waiter.started
    waiter.close()


def test_the_user_reads_their_place_and_the_wait():
    assert describe_place(Place(1, None)) == "Waiting for the language model: 1 question ahead of yours."
    assert describe_place(Place(3, 41.6)) == "Waiting for the language model: 3 questions ahead of yours, about 42 s."
