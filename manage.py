#!/usr/bin/env python
import os
import sys
from pathlib import Path

# Written by `make run` (git-ignored): its secret key, database and local-HTTP settings, so a command
# run in a new shell beside it needs nothing set by hand. MANIVA_LOCAL_ENV names another file.
LOCAL_ENV = Path(os.environ.get("MANIVA_LOCAL_ENV") or Path(__file__).resolve().parent / "var" / "local.env")


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "maniva_webapp.settings")
    from maniva_webapp.env import load_local_env

    load_local_env(LOCAL_ENV)
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
