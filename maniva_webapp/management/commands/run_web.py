import logging

from django.core.management.base import BaseCommand
from waitress import serve

from contact.spam import scorer_warm
from maniva_webapp.wsgi import application


class Command(BaseCommand):
    help = (
        "Serve the site with waitress: it reads each request whole before a thread takes it, so slow "
        "or stalled clients hold only a socket, never a worker."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on (default 127.0.0.1).")
        parser.add_argument("--port", type=int, default=8000, help="Port to listen on (default 8000).")
        parser.add_argument("--threads", type=int, default=8, help="Request threads; a POST waiting on the database holds one (default 8).")
        parser.add_argument("--connection-limit", type=int, default=500, help="Open connections before new ones wait (default 500).")
        parser.add_argument("--channel-timeout", type=int, default=30, help="Seconds an idle connection is kept (default 30).")

    def handle(self, *args, host: str, port: int, threads: int, connection_limit: int, channel_timeout: int, **options) -> None:
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
        )
