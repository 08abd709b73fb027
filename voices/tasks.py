from celery import shared_task

from voices.services.moderation import voices_purge_expired


@shared_task(name="voices.purge_expired", ignore_result=True)
def purge_expired() -> int:
    return len(voices_purge_expired())
