from django.apps import AppConfig


def _voice_groups(job) -> list[str]:  # noqa: ANN001 (a jobs.models.Job)
    """Every job about a voice also reports to the voice's websocket group (``ws/voices/<id>/``)."""
    from voices.consumers import voice_group

    return [voice_group(job.voice_id)] if job.voice_id else []


class VoicesConfig(AppConfig):
    name = "voices"

    def ready(self) -> None:
        from jobs.kinds import JobKind, job_groups_register, job_kind_register
        from voices.services.clone import CLONE_JOB, voice_progress_update
        from voices.services.consent import CONSENT_JOB
        from voices.services.preview import PREVIEW_JOB

        job_kind_register(
            JobKind(CLONE_JOB, handler="voices.cloning:voice_clone_run", on_progress=voice_progress_update)
        )
        job_kind_register(JobKind(CONSENT_JOB, handler="voices.verification:consent_verify_run"))
        job_kind_register(JobKind(PREVIEW_JOB, handler="voices.cloning:voice_preview_run"))
        job_groups_register(_voice_groups)
