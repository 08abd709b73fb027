from django.urls import path

from synthesis import api_jobs

urlpatterns = [
    path("jobs/demo", api_jobs.DemoJobView.as_view(), name="job-demo"),
    path("jobs/<str:job_id>", api_jobs.JobDetailView.as_view(), name="job-detail"),
]
