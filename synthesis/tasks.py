from celery import shared_task

from synthesis import jobs


@shared_task(name="synthesis.run_job", acks_late=True, ignore_result=True)
def run_job(job_id: str) -> None:
    jobs.job_run(job_id)
