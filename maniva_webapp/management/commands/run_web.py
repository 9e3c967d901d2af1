import logging

from django.core.management.base import BaseCommand
from waitress import serve

from contact.spam import scorer_warm
from maniva_webapp.serving import PageFirstDispatcher
from maniva_webapp.wsgi import application


class Command(BaseCommand):
    help = (
        "Serve the site with waitress: it reads each request whole before a thread takes it, so slow "
        "or stalled clients hold only a socket, never a worker. Pages that need no database (the landing "
        "page, static files) have threads of their own, so they never queue behind requests waiting on it."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on (default 127.0.0.1).")
        parser.add_argument("--port", type=int, default=8000, help="Port to listen on (default 8000).")
        parser.add_argument("--threads", type=int, default=8, help="Request threads; a POST waiting on the database holds one (default 8).")
        parser.add_argument("--page-threads", type=int, default=4, help="More threads, only for pages that need no database (default 4).")
        parser.add_argument("--connection-limit", type=int, default=500, help="Open connections before new ones wait (default 500).")
        parser.add_argument("--channel-timeout", type=int, default=30, help="Seconds an idle connection is kept (default 30).")

    def handle(self, *args, host: str, port: int, threads: int, page_threads: int, connection_limit: int,
               channel_timeout: int, **options) -> None:
        logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "Task queue depth is 1" under any load
        scorer_warm()
        serve(
            application,
            host=host,
            port=port,
            threads=threads,
            connection_limit=connection_limit,
            channel_timeout=channel_timeout,
            max_request_body_size=1_048_576,  # the largest form is a few KB
            ident="maniva",
            # waitress's hook for its task dispatcher (called a test shim there, passed on by serve()).
            _dispatcher=PageFirstDispatcher(threads=threads, page_threads=page_threads),
        )
