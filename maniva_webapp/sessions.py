"""Django's database sessions (SESSION_ENGINE), each request's read made with one plain find
(maniva_webapp.plain_reads): the same document, the same expiry check, no session cache, so a
logout or a flush anywhere takes effect at the next request everywhere."""
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.utils import timezone

from maniva_webapp.plain_reads import model_get


class SessionStore(DatabaseSessionStore):
    def _get_session_from_db(self):
        fields = self.model._meta
        session = model_get(self.model, {
            fields.get_field("session_key").column: self.session_key,
            fields.get_field("expire_date").column: {"$gt": timezone.now()},
        })
        if session is None:
            self._session_key = None
        return session
