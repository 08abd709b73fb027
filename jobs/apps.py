from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "jobs"
    verbose_name = "Background jobs"

    def ready(self) -> None:
        from jobs.demo import DEMO_JOB, demo_worker_seconds
        from jobs.kinds import JobKind, job_kind_register
        from studio.apps import metrics_register

        job_kind_register(JobKind(DEMO_JOB, handler="jobs.demo:demo_run", cost=demo_worker_seconds))
        metrics_register("jobs", "jobs.metrics:JobsCollector")
