from django.urls import path

from jobs import api

urlpatterns = [
    path("jobs/demo", api.DemoJobView.as_view(), name="job-demo"),
    path("jobs/<str:job_id>", api.JobDetailView.as_view(), name="job-detail"),
]
