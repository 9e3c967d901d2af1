import os
import signal

from django.core.management.base import BaseCommand, CommandError

from contact.worker import worker_loop, worker_name, worker_tick


class Command(BaseCommand):
    help = "Send queued emails and pushes from the outbox, replay spooled submissions, and poll the IMAP mailbox when IMAP_HOST is set. Runs until stopped."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--once", action="store_true", help="Run one pass over due work and exit.")
        parser.add_argument("--poll", type=float, default=1.0, help="Seconds to wait when idle (default 1).")
        parser.add_argument(
            "--threads", type=int, default=2,
            help="Threads running due jobs at once: one sends while another waits on the database (default 2).",
        )
        parser.add_argument(
            "--nice", type=int, default=5,
            help="Niceness added to the process: on a busy machine the web processes' pages get the CPU first (default 5, as run_web's app process).",
        )

    def handle(self, *args, once: bool, poll: float, threads: int, nice: int, **options) -> None:
        if threads < 1:
            raise CommandError("--threads must be at least 1")
        if nice and not once:
            os.nice(nice)
        name = worker_name()
        if once:
            self.stdout.write(f"{worker_tick(worker=name, threads=threads)} job(s) attempted")
            return
        stopping = []
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stopping.append(True))
        self.stdout.write(f"worker {name} started")
        worker_loop(worker=name, poll_seconds=poll, should_stop=lambda: bool(stopping), threads=threads)
        self.stdout.write(f"worker {name} stopped")
