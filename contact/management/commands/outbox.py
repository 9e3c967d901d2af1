from django.core.management.base import BaseCommand, CommandError

from contact.outbox import dead_letters_retry
from contact.selectors import outbox_counts, outbox_dead_letters


class Command(BaseCommand):
    help = "Inspect the outbox: counts per status, the dead letters with their last error, and retry them."

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("status", help="Count jobs per status.")
        sub.add_parser("dead", help="List dead letters with their last error.")
        retry = sub.add_parser("retry", help="Queue dead letters again (all, or the ids given).")
        retry.add_argument("ids", nargs="*")

    def handle(self, *args, action: str, **options) -> None:
        if action == "status":
            for status, count in outbox_counts().items():
                self.stdout.write(f"{status:8} {count}")
        elif action == "dead":
            jobs = outbox_dead_letters()
            for job in jobs:
                self.stdout.write(f"{job.pk}  {job.kind:14} attempts={job.attempts}  {job.last_error}")
            self.stdout.write(f"{len(jobs)} dead letter(s)")
        elif action == "retry":
            count = dead_letters_retry(ids=options["ids"] or None)
            if options["ids"] and count == 0:
                raise CommandError("None of those ids is a dead letter.")
            self.stdout.write(f"{count} job(s) queued again")
