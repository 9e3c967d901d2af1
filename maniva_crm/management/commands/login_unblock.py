import ipaddress

from django.core.management.base import BaseCommand, CommandError

from maniva_crm.login_throttle import login_block_lift


class Command(BaseCommand):
    help = "Lift the login throttle's block on an account now (its per-account ceiling), and, with --address, that address's counts."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username", help="the account, in any letter case")
        parser.add_argument("--address", help="also clear this client address's counts (its own and for this account)")

    def handle(self, *args, username: str, address: str | None, **options) -> None:
        if address is not None:
            try:
                address = str(ipaddress.ip_address(address))
            except ValueError:
                raise CommandError(f"--address must be an IP address, not {address!r}") from None
        login_block_lift(username=username, ip=address)
        self.stdout.write(f"Login counts cleared for {username.strip().casefold()}" + (f" and {address}." if address else "."))
