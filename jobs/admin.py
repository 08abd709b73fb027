from django.contrib import admin

from jobs.models import Job


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "kind",
        "owner",
        "voice_id",
        "status",
        "step",
        "percent",
        "created_at",
        "finished_at",
    ]
    list_filter = ["kind", "status", "queue"]
    search_fields = ["id", "owner__username", "voice_id", "error"]
    readonly_fields = [f.name for f in Job._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
