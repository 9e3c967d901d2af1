"""Django's sessions on MongoDB, a read of which every logged-in request makes by session_key.

The unique index Django makes on session_key is partial ({"$type": "string"}), and neither the
embedded server nor MongoDB picks a partial index for a plain equality (django-mongodb-backend
issue #543): each read, save and logout scanned every stored session. A plain index serves them.

Django never deletes an expired session by itself (`clearsessions` is left to the operator); the
expire_date index becomes a TTL index, so the server removes each session once it has expired."""
from django.db import migrations

COLLECTION = "django_session"
LOOKUP = "session_key_lookup"


def forwards(apps, schema_editor) -> None:
    sessions = schema_editor.connection.get_collection(COLLECTION)
    sessions.create_index("session_key", name=LOOKUP)
    sessions.database.command({"collMod": COLLECTION, "index": {"keyPattern": {"expire_date": 1}, "expireAfterSeconds": 0}})


def backwards(apps, schema_editor) -> None:
    sessions = schema_editor.connection.get_collection(COLLECTION)
    sessions.drop_index(LOOKUP)
    expiry = next(name for name, spec in sessions.index_information().items() if spec["key"] == [("expire_date", 1)])
    sessions.drop_index(expiry)  # as Django made it: the same name, no TTL
    sessions.create_index("expire_date", name=expiry)


class Migration(migrations.Migration):
    dependencies = [("sessions", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
