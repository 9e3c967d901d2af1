from datetime import datetime, timezone

from django.db import connection

from analytics import reader
from contact.models import Lead, Message


def test_collection_names_are_the_models_tables():
    assert reader.MESSAGES == Message._meta.db_table
    assert reader.LEADS == Lead._meta.db_table


def test_lengths_counted_by_the_server_match_python(make_message):
    texts = ["one", "two  words\nhere", "Ça va très bien, merci !"]
    for text in texts:
        make_message(text)
    rows = sorted(reader.length_rows(connection.get_database(), reader.message_filter()))
    assert rows == sorted((len(t), len(t.split()), "contact", False) for t in texts)


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
    assert reader.message_count(db, {**reader.message_filter(include_spam=False)}) == 2
