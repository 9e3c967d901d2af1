"""maniva_webapp.background.thread_start_alone: one thread at a time per lock; a failure is logged
and frees the lock for the next call."""
import logging
import threading

from maniva_webapp.background import thread_start_alone


def test_one_at_a_time_and_a_failure_frees_the_lock(caplog):
    lock, started, release = threading.Lock(), threading.Event(), threading.Event()

    def slow() -> None:
        started.set()
        release.wait()

    first = thread_start_alone(lock, slow, name="slow-work")
    started.wait()
    assert first.name == "slow-work" and thread_start_alone(lock, slow, name="slow-work") is None  # one runs already
    release.set()
    first.join()

    def failing() -> None:
        raise RuntimeError("boom")

    with caplog.at_level(logging.ERROR, logger="maniva_webapp.background"):
        thread_start_alone(lock, failing, name="failing-work").join()
    assert "failing-work failed" in caplog.text and "boom" in caplog.text
    ran = []
    thread_start_alone(lock, lambda: ran.append(1), name="next-work").join()
    assert ran == [1]
