"""Work the worker starts beside its deliveries: one thread at a time per kind, in this process."""
import logging
import threading
from collections.abc import Callable

logger = logging.getLogger(__name__)


def thread_start_alone(lock: threading.Lock, work: Callable[[], object], *, name: str) -> threading.Thread | None:
    """Run `work` in a daemon thread named `name`, unless `lock` says one runs already (then None).
    Its failure is logged, and the next call may try again."""
    if not lock.acquire(blocking=False):
        return None

    def run() -> None:
        try:
            work()
        except Exception:
            logger.exception("%s failed", name)
        finally:
            lock.release()

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    return thread
