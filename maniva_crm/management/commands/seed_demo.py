from django.core.management.base import BaseCommand, CommandError

from maniva_crm.demo import demo_seed


class Command(BaseCommand):
    help = "Insert demo leads and messages (about 3.3 messages per lead) for trying and benchmarking the CRM."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--messages", type=int, default=1000, help="how many messages to insert (default 1000)")
        parser.add_argument("--seed", type=int, default=1, help="random seed, for repeatable data")

    def handle(self, *args, messages: int, seed: int, **options) -> None:
        if messages < 1:
            raise CommandError("--messages must be at least 1")
        leads, count = demo_seed(messages=messages, seed=seed)
        self.stdout.write(f"Inserted {count} messages from {leads} leads.")
