import threading
from datetime import datetime, timezone

from django.db import connection

from analytics import analyses, reader
from contact.selectors import lead_collection, lead_collection_name, message_collection, message_collection_name


def test_collection_names_are_the_lead_stores():
    """The pure reader has no Django to ask contact with; it names contact's collections, pinned here."""
    assert reader.MESSAGES == message_collection_name() == message_collection().name
    assert reader.LEADS == lead_collection_name() == lead_collection().name


def test_lengths_counted_by_the_server_match_python(make_message):
    texts = ["one", "two  words\nhere", "Ça va très bien, merci !"]
    for text in texts:
        make_message(text)
    make_message("one", kind="consultation", is_spam=True, spam_label="spam")
    stats = reader.message_stats(connection.get_database(), reader.message_filter())
    assert sorted(stats["chars"]) == sorted([(len(t), "contact", False, 1) for t in texts] + [(3, "consultation", True, 1)])
    assert sorted(stats["words"]) == sorted([(len(t.split()), "contact", False, 1) for t in texts] + [(1, "consultation", True, 1)])
    assert stats["counts"]["total"] == 4
    assert stats["counts"]["by_kind"] == {"consultation": 1, "contact": 3}
    assert stats["counts"]["by_label"] == {"spam": 1, "unlabelled": 3}
    assert stats["counts"]["by_spam"] == {"not_spam": 3, "spam": 1}
    assert stats["counts"]["by_month"] == {"2026-03": 4}
    # The report tallies the same numbers on its one pass over the bodies.
    tally = reader.StatsTally()
    analyses.corpus_load(connection.get_database(), reader.message_filter(), include_spam=False, tally=tally)
    assert tally.result() == stats


def test_batches_stream_with_a_projection(make_message):
    for i in range(7):
        make_message(f"message {i}", received_at=datetime(2026, 1, 7 - i, tzinfo=timezone.utc))
    db = connection.get_database()
    batches = list(reader.message_batches(db, reader.message_filter(), batch_size=3))
    assert [len(b) for b in batches] == [3, 3, 1]
    assert sorted(d["message"] for b in batches for d in b) == [f"message {i}" for i in range(7)]
    assert set(batches[0][0]) == {"message", "received_at", "is_spam", "spam_label", "lead_id"}


def test_window_and_spam_filters(make_message):
    make_message("january", received_at=datetime(2026, 1, 15, tzinfo=timezone.utc))
    make_message("february", received_at=datetime(2026, 2, 1, tzinfo=timezone.utc))
    make_message("labelled spam", spam_label="spam", received_at=datetime(2026, 2, 2, tzinfo=timezone.utc))
    make_message("flagged spam", is_spam=True, received_at=datetime(2026, 2, 3, tzinfo=timezone.utc))
    db = connection.get_database()
    february = reader.message_filter(since=datetime(2026, 2, 1, tzinfo=timezone.utc), until=datetime(2026, 3, 1, tzinfo=timezone.utc))
    assert reader.message_count(db, february) == 3
    assert reader.message_count(db, reader.message_filter(include_spam=False)) == 2
    read = [d for b in reader.message_batches(db, reader.message_filter()) for d in b]
    assert sorted(d["message"] for d in read if not reader.is_spam(d)) == ["february", "january"]


def test_prefetching_reader_yields_the_same_and_stops_cleanly(make_message):
    for i in range(5):
        make_message(f"message {i}")
    db = connection.get_database()
    plain = [d["message"] for b in reader.message_batches(db, {}, batch_size=2, prefetch=0) for d in b]
    ahead = [d["message"] for b in reader.message_batches(db, {}, batch_size=2, prefetch=1) for d in b]
    assert plain == ahead and len(plain) == 5
    batches = reader.message_batches(db, {}, batch_size=2, prefetch=1)
    next(batches)
    batches.close()  # the reader thread stops and the cursor closes
    assert not [t for t in threading.enumerate() if t.name == "analytics-reader"]
