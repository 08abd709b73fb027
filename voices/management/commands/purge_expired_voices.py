from django.core.management.base import BaseCommand

from voices.services.moderation import voices_purge_expired


class Command(BaseCommand):
    help = "Delete voices (and their files) whose retention period has run out."

    def handle(self, *args, **options) -> None:
        purged = voices_purge_expired()
        self.stdout.write(f"Purged {len(purged)} expired voice(s).")
        for voice_id in purged:
            self.stdout.write(f"  {voice_id}")
