"""Django's database sessions (SESSION_ENGINE), each request's read made with one plain find
(maniva_webapp.plain_reads): the same document, the same expiry check, no session cache, so a
logout or a flush anywhere takes effect at the next request everywhere. The read is by key alone,
through a plain index (mongo_migrations/sessions/0002), and the expiry is checked on the document:
with the expiry in the filter the embedded server explains the read as a scan (tests/dbcompat), so
its plan could not be checked. The server deletes expired sessions itself (a TTL index)."""
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from maniva_webapp.plain_reads import model_get


def session_key_query(session_key: str) -> dict:
    return {Session._meta.get_field("session_key").column: session_key}


class SessionStore(DatabaseSessionStore):
    def _get_session_from_db(self):
        session = model_get(self.model, session_key_query(self.session_key))
        if session is None or session.expire_date <= timezone.now():
            self._session_key = None
            return None
        return session
