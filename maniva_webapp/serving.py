"""How run_web hands requests to threads (issue 15): public pages that make no database command
have threads of their own, so a visitor's GET never queues behind POSTs waiting on the database.

waitress gives every complete request (the channel that holds it) to one task dispatcher; this one
keeps two pools of waitress's own ThreadedTaskDispatcher and picks by method and path. Which pages
are free of database commands is checked by tests/maniva_webapp/test_landing_load.py."""
from waitress.task import ThreadedTaskDispatcher

# GET/HEAD of these paths (and of anything under /static/) render without the database.
DATABASE_FREE_PATHS = frozenset({
    "/", "/privacy/", "/contact/", "/consultation/", "/robots.txt", "/manifest.webmanifest", "/favicon.ico",
})
STATIC_PREFIX = "/static/"


def database_free(method: str, path: str) -> bool:
    return method in ("GET", "HEAD") and (path in DATABASE_FREE_PATHS or path.startswith(STATIC_PREFIX))


class PageFirstDispatcher:
    """Two thread pools: `page_threads` for database-free pages, `threads` for everything else."""

    def __init__(self, *, threads: int, page_threads: int) -> None:
        self.pages = ThreadedTaskDispatcher()
        self.others = ThreadedTaskDispatcher()
        self.pages.set_thread_count(page_threads)
        self.others.set_thread_count(threads)

    def add_task(self, task) -> None:
        request = task.requests[0] if getattr(task, "requests", None) else None
        free = request is not None and database_free(request.command, request.path)
        (self.pages if free else self.others).add_task(task)

    def set_thread_count(self, count: int) -> None:
        self.others.set_thread_count(count)

    def shutdown(self, cancel_pending: bool = True, timeout: int = 5) -> bool:
        others = self.others.shutdown(cancel_pending=cancel_pending, timeout=timeout)
        pages = self.pages.shutdown(cancel_pending=cancel_pending, timeout=timeout)
        return bool(others and pages)
