from django.core.management.base import BaseCommand, CommandError

from contact.lead_counts import lead_counts_recount, lead_counts_repair, lead_status_counts


class Command(BaseCommand):
    help = (
        "Compare the maintained counts of leads per status (what the CRM inbox shows) with a full "
        "recount; with --repair, set them to the recount. Needed only after a crash on a server "
        "without transactions, or after leads were written around the lead store."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--repair", action="store_true", help="Recount every lead and store the result.")

    def handle(self, *args, repair: bool, **options) -> None:
        if repair:
            fixed = lead_counts_repair()
            for status, (stored, recounted) in sorted(fixed.items()):
                self.stdout.write(f"{status or '(none)':10} was {stored}, now {recounted}")
            self.stdout.write(f"repaired {len(fixed)} count(s)" if fixed else "the counts were right")
        maintained, recounted = lead_status_counts(), lead_counts_recount()
        for status in sorted(maintained.keys() | recounted.keys()):
            mark = "" if maintained.get(status, 0) == recounted.get(status, 0) else "  <- differs"
            self.stdout.write(f"{status:10} maintained {maintained.get(status, 0):7}  recount {recounted.get(status, 0):7}{mark}")
        if maintained != recounted:
            raise CommandError("The maintained counts differ from a recount: run `manage.py lead_counts --repair`.")
