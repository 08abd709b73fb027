from django.apps import AppConfig


def _voice_groups(job) -> list[str]:  # noqa: ANN001 (a jobs.models.Job)
    """Every job about a voice also reports to the voice's websocket group (``ws/voices/<id>/``)."""
    from voices.consumers import voice_group

    return [voice_group(job.voice_id)] if job.voice_id else []


class VoicesConfig(AppConfig):
    name = "voices"

    def ready(self) -> None:
        import limits
        from jobs.kinds import JobKind, job_groups_register, job_kind_register
        from voices.services.clone import CLONE_JOB, voice_clone_abandoned, voice_progress_update
        from voices.services.consent import CONSENT_JOB, consent_check_abandoned
        from voices.services.preview import PREVIEW_JOB

        job_kind_register(
            JobKind(
                CLONE_JOB,
                handler="voices.cloning:voice_clone_run",
                on_progress=voice_progress_update,
                on_failed=voice_clone_abandoned,
                cost=lambda params: limits.CLONE_WORKER_SECONDS,
            )
        )
        job_kind_register(
            JobKind(
                CONSENT_JOB,
                handler="voices.verification:consent_verify_run",
                on_failed=consent_check_abandoned,
                cost=lambda params: limits.CONSENT_WORKER_SECONDS,
            )
        )
        job_kind_register(
            JobKind(
                PREVIEW_JOB,
                handler="voices.cloning:voice_preview_run",
                cost=lambda params: limits.CLONE_WORKER_SECONDS,
            )
        )
        job_groups_register(_voice_groups)
