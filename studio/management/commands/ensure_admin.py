"""``python manage.py ensure_admin``: make sure an admin account exists, in any mode.

``manage.py studio`` does this itself; a distributed deployment runs it once after ``migrate`` (the
compose file's ``migrate`` service does). The password comes from ``STUDIO_ADMIN_PASSWORD``, or is
generated and printed once. Nothing changes when a superuser exists already, so running it on every
deployment is safe.
"""

import os

from django.core.management.base import BaseCommand, CommandParser

from studio.services import admin_ensure


class Command(BaseCommand):
    help = (
        "Create the admin account unless a superuser exists (password: STUDIO_ADMIN_PASSWORD, or generated)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default=os.environ.get("STUDIO_ADMIN_USERNAME") or "admin")

    def handle(self, *args, username: str, **options) -> None:
        from django.contrib.auth import get_user_model

        if get_user_model().objects.filter(is_superuser=True).exists():
            self.stdout.write("An admin account exists already; nothing changed.")
            return
        generated = admin_ensure(username=username, password=os.environ.get("STUDIO_ADMIN_PASSWORD") or None)
        if generated:
            self.stdout.write(
                self.style.WARNING(f"Created the admin account: username {username}, password {generated}")
                + "\n(shown once; change it in the admin, or set STUDIO_ADMIN_PASSWORD before running this)"
            )
        else:
            self.stdout.write(
                f"Created the admin account {username} with the password in STUDIO_ADMIN_PASSWORD."
            )
