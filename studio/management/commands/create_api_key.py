from django.core.management.base import BaseCommand, CommandParser

from studio.services import api_key_create, user_ensure


class Command(BaseCommand):
    help = "Create an API key for USERNAME (creating the user if needed). The key is printed once, last."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="cli", help="A label for the key.")

    def handle(self, *args, username: str, name: str, **options) -> None:
        user, created = user_ensure(username=username)
        if created:
            self.stdout.write(f"Created user {username} (API access only; set a password in the admin).")
        key, raw_key = api_key_create(user=user, name=name)
        self.stdout.write(f"API key {key.prefix}… for {username}; it is shown only now:")
        self.stdout.write(raw_key)
