"""The bounded memo behind the intake's remembered leads and the inbox's common words."""
import threading

from maniva_webapp.memo import BoundedMemo


def test_the_least_recently_used_entry_goes_first():
    memo = BoundedMemo(2)
    memo.put("a", 1)
    memo.put("b", 2)
    assert memo.get("a") == 1  # "a" is now the most recently used
    memo.put("c", 3)
    assert "b" not in memo and memo.get("a") == 1 and memo.get("c") == 3 and len(memo) == 2


def test_a_stored_none_or_false_is_still_known_and_clear_forgets_all():
    memo = BoundedMemo(4)
    memo.put("none", None)
    memo.put("word")  # a set's member: stored as True
    assert "none" in memo and memo.get("missing", "default") == "default" and memo.get("word") is True
    memo.clear()
    assert len(memo) == 0 and "word" not in memo


def test_threads_putting_at_once_never_exceed_the_bound():
    memo = BoundedMemo(100)
    threads = [threading.Thread(target=lambda n=n: [memo.put((n, i), i) for i in range(2000)]) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    kept = list(memo._entries.items())
    assert len(kept) == 100 and all(key[1] == value for key, value in kept)
