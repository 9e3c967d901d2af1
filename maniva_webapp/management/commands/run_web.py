import argparse
import logging
import os
import signal
import sys
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from waitress import serve

from contact.spam import scorer_warm
from maniva_webapp.frontdoor import AppForwarder, app_process, front_app, from_front, interrupt_when_it_exits, watch_parent
from maniva_webapp.serving import PageFirstDispatcher, database_free
from maniva_webapp.wsgi import application

MAX_BODY = 1_048_576  # the largest form is a few KB


class Command(BaseCommand):
    help = (
        "Serve the site with waitress: it reads each request whole before a thread takes it, so slow "
        "or stalled clients hold only a socket, never a worker. Two processes: this one listens on the "
        "port and serves the pages that need no database (the landing page, static files) on threads of "
        "their own; every other request goes to an app process it starts, so those pages never wait "
        "behind requests that wait on the database, nor share an interpreter lock with them."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on (default 127.0.0.1).")
        parser.add_argument("--port", type=int, default=8000, help="Port to listen on (default 8000).")
        parser.add_argument("--threads", type=int, default=8, help="Request threads of the app process; a POST waiting on the database holds one (default 8).")
        parser.add_argument("--page-threads", type=int, default=4, help="Threads of the listening process for pages that need no database (default 4).")
        parser.add_argument("--connection-limit", type=int, default=500, help="Open connections before new ones wait (default 500).")
        parser.add_argument("--channel-timeout", type=int, default=30, help="Seconds an idle connection is kept (default 30).")
        parser.add_argument(
            "--app-nice", type=int, default=5,
            help="Niceness added to the app process, so that on a busy machine the pages' short work gets the CPU first (default 5; 0: none).",
        )
        parser.add_argument("--app-socket", help=argparse.SUPPRESS)  # the app process: the unix socket it serves on
        parser.add_argument("--front-pid", type=int, help=argparse.SUPPRESS)

    def handle(self, *args, host: str, port: int, threads: int, page_threads: int, connection_limit: int,
               channel_timeout: int, app_nice: int, app_socket: str | None, front_pid: int | None, **options) -> None:
        logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "Task queue depth is 1" under any load
        if app_socket:
            self._serve_app(app_socket, front_pid=front_pid, threads=threads, app_nice=app_nice)
            return
        command = [sys.executable, str(settings.BASE_DIR / "manage.py"), "run_web", "--threads", str(threads),
                   "--app-nice", str(app_nice), "--front-pid", str(os.getpid()), "--app-socket"]
        stopping = threading.Event()

        def stop(signum, frame) -> None:  # SIGTERM as Ctrl-C: waitress's loop ends, and the app process is stopped
            stopping.set()
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            with app_process(command) as (socket_path, child):
                app_died = interrupt_when_it_exits(child, stopping)
                serve(
                    front_app(application, AppForwarder(socket_path), database_free),
                    host=host,
                    port=port,
                    threads=threads,
                    connection_limit=connection_limit,
                    channel_timeout=channel_timeout,
                    max_request_body_size=MAX_BODY,
                    ident="maniva",
                    # waitress's hook for its task dispatcher (called a test shim there, passed on by serve()).
                    _dispatcher=PageFirstDispatcher(threads=threads, page_threads=page_threads),
                )
                if app_died.is_set():
                    raise CommandError(f"the app process exited ({child.returncode})")
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc

    def _serve_app(self, socket_path: str, *, front_pid: int | None, threads: int, app_nice: int) -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the front stops this process
        if front_pid:
            watch_parent(front_pid, socket_path)
        if app_nice:
            os.nice(app_nice)
        scorer_warm()
        serve(
            from_front(application),
            unix_socket=socket_path,
            unix_socket_perms="600",
            threads=threads,
            channel_timeout=86_400,  # only the front connects, and keeps its connections: never dropped between requests
            max_request_body_size=MAX_BODY,
            ident="maniva",
            _quiet=True,
        )
