"""Job endpoints: status polling and the demo job."""

from __future__ import annotations

from http import HTTPStatus

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

import limits
from jobs.demo import DEMO_JOB
from jobs.events import job_payload
from jobs.selectors import job_get
from jobs.services import job_create

JobSchema = inline_serializer(
    "Job",
    {
        "id": serializers.CharField(),
        "kind": serializers.CharField(),
        "status": serializers.CharField(),
        "step": serializers.CharField(),
        "percent": serializers.FloatField(),
        "eta_seconds": serializers.FloatField(allow_null=True),
        "error": serializers.CharField(allow_null=True),
        "voice_id": serializers.CharField(allow_null=True),
        "result": serializers.JSONField(),
    },
)


class DemoJobSerializer(serializers.Serializer):
    seconds = serializers.FloatField(min_value=0.1, max_value=60, default=2.0)
    chunks = serializers.IntegerField(min_value=1, max_value=100, default=4)
    pace = serializers.FloatField(min_value=0, max_value=2, default=0.0)

    def validate(self, attrs: dict) -> dict:
        # It holds a worker while it waits: capped, except for staff measuring the plumbing.
        user = self.context.get("user")
        waits = attrs["chunks"] * attrs["pace"]
        if waits > limits.DEMO_MAX_WAIT_SECONDS and not (user is not None and user.is_staff):
            raise serializers.ValidationError(
                {
                    "pace": f"chunks x pace may be at most {limits.DEMO_MAX_WAIT_SECONDS:g} s (it is {waits:g} s)."
                }
            )
        return attrs


class JobDetailView(APIView):
    @extend_schema(responses=JobSchema)
    def get(self, request: Request, job_id: str) -> Response:
        return Response(job_payload(job_get(request.user, job_id)))


class DemoJobView(APIView):
    @extend_schema(request=DemoJobSerializer, responses={202: JobSchema})
    def post(self, request: Request) -> Response:
        body = DemoJobSerializer(data=request.data, context={"user": request.user})
        body.is_valid(raise_exception=True)
        job = job_create(kind=DEMO_JOB, owner=request.user, params=body.validated_data)
        return Response(
            job_payload(job), status=HTTPStatus.ACCEPTED, headers={"Location": f"/v1/jobs/{job.id}"}
        )
