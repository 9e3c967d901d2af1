"""The worker's intent scorer (settings.CONTACT_INTENT_SCORER, used by contact.triage).

It holds the current model in memory and, at most every REFRESH_SECONDS, checks whether it is
still current (one small read of the newest record, one of the latest staff correction); when
staff corrected an intent since, or the services changed, it retrains (analytics.intent), so the
worker learns from corrections without a restart. Nothing here runs on the request path."""
import threading
import time

from analytics import intent

REFRESH_SECONDS = 60.0


class SavedIntentModel:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._model = None
        self._record_id = None
        self._checked = float("-inf")

    def forget(self) -> None:
        """Drop the model held in memory: the next suggestion checks the database again."""
        with self._lock:
            self._model, self._record_id, self._checked = None, None, float("-inf")

    def current(self):
        """The up-to-date model, trained now if none is stored or it is stale."""
        with self._lock:
            if self._model is not None and time.monotonic() - self._checked < REFRESH_SECONDS:
                return self._model
            record = intent.intent_model_latest()
            if intent.intent_model_stale(record):
                trained = intent.intent_model_train()
                self._model, self._record_id = trained["model"], trained["_id"]
            elif record["_id"] != self._record_id or self._model is None:
                self._model, self._record_id = intent.intent_model_load(record["_id"]), record["_id"]
            self._checked = time.monotonic()
            return self._model

    def suggest(self, text: str) -> tuple[str, float] | None:
        """(intent, probability) for a message's text (subject and body joined by a newline)."""
        return self.suggest_many([text])[0]

    def suggest_many(self, texts: list[str]) -> list[tuple[str, float] | None]:
        """suggest() of each text, in one pass of the model (the worker's batch of new messages)."""
        from analytics.intent_model import predict

        model = self.current() if texts else None
        return predict(model, texts) if model is not None else [None] * len(texts)


saved_intent_model = SavedIntentModel()
