from celery import shared_task

from voices.services.moderation import voices_purge_expired
from voices.services.preview import voice_previews_purge_expired


@shared_task(name="voices.purge_expired", ignore_result=True)
def purge_expired() -> int:
    return len(voices_purge_expired())


@shared_task(name="voices.purge_expired_previews", ignore_result=True)
def purge_expired_previews() -> int:
    return len(voice_previews_purge_expired())
