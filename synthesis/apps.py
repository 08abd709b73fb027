from django.apps import AppConfig


class SynthesisConfig(AppConfig):
    name = "synthesis"

    def ready(self) -> None:
        from jobs.kinds import JobKind, job_kind_register
        from synthesis.services import BATCH_JOB, SPEECH_JOB, speech_worker_seconds
        from synthesis.streaming import STREAM_JOB

        job_kind_register(
            JobKind(SPEECH_JOB, handler="synthesis.rendering:speech_job_run", cost=speech_worker_seconds)
        )
        job_kind_register(
            JobKind(BATCH_JOB, handler="synthesis.rendering:speech_batch_run", cost=speech_worker_seconds)
        )
        job_kind_register(
            JobKind(STREAM_JOB, handler="synthesis.streaming:speech_stream_run", cost=speech_worker_seconds)
        )
