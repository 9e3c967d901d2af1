"""The intent scorer (settings.CONTACT_INTENT_SCORER, used by contact.triage).

In the worker it holds the current model in memory and, at most every REFRESH_SECONDS, checks
whether it is still current (one small read of the newest record, one of the latest staff
correction); when staff corrected an intent since, or the services changed, it retrains
(analytics.intent), so the worker learns from corrections without a restart.

On the request path (suggest_at_hand) it only predicts with the model already in memory: a
background thread loads the newest stored model at most every REFRESH_SECONDS, and never trains.
Without one in memory the answer is None and the worker suggests instead."""
import logging
import threading
import time

from analytics import intent

logger = logging.getLogger(__name__)

REFRESH_SECONDS = 60.0
EMPTY_RECHECK_SECONDS = 5.0  # the request path found no model (the worker trains one at its first message) or no database


class SavedIntentModel:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._model = None
        self._record_id = None
        self._checked = float("-inf")
        self._loading = threading.Lock()

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

    def refresh(self) -> None:
        """Keep the model current (the worker, once per batch, whether or not its messages already
        carry a suggestion made at intake): retrains after staff corrections."""
        self.current()

    def suggest_at_hand(self, text: str) -> tuple[str, float] | None:
        """suggest() for the request path: the model in memory or None, never a wait on the database."""
        from analytics.intent_model import predict

        model = self._model
        if time.monotonic() - self._checked >= REFRESH_SECONDS:
            self._load_in_background()
        return predict(model, [text])[0] if model is not None else None

    def settle(self, timeout: float) -> bool:
        """Wait until no background load is running (tests); False if one still runs after `timeout` s."""
        if not self._loading.acquire(timeout=timeout):
            return False
        self._loading.release()
        return True

    def _load_in_background(self) -> None:
        if self._loading.acquire(blocking=False):
            threading.Thread(target=self._load_newest, name="intent-model-load", daemon=True).start()

    def _load_newest(self) -> None:
        try:
            record = intent.intent_model_latest()
            if record is not None and record.get("intents") != sorted(intent.intent_labels()):
                record = None  # trained for other services (a deploy changed them): the worker retrains
            model = None
            if record is not None and record["_id"] != self._record_id:
                model = intent.intent_model_load(record["_id"])
            with self._lock:
                self._checked = time.monotonic()
                if record is None:  # none trained yet, none for today's services, or all deleted (an erasure): drop any held
                    self._model, self._record_id = None, None
                    self._checked += EMPTY_RECHECK_SECONDS - REFRESH_SECONDS
                elif model is not None:
                    self._model, self._record_id = model, record["_id"]
        except Exception:
            logger.exception("intent model could not be loaded: the worker suggests intents meanwhile")
            self._checked = time.monotonic() + EMPTY_RECHECK_SECONDS - REFRESH_SECONDS
        finally:
            self._loading.release()


saved_intent_model = SavedIntentModel()
