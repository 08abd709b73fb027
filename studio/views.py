"""Account pages: API keys (through studio.services), and staff access to stored media for the admin."""

from __future__ import annotations

from types import SimpleNamespace

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import login_required
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views.decorators.http import require_http_methods, require_POST

from errors import InvalidInput, NotFound
from studio import services
from studio.files import file_response
from studio.forms import ApiKeyCreateForm
from studio.models import ApiKey


@login_required
@require_http_methods(["GET", "POST"])
def api_keys(request: HttpRequest) -> HttpResponse:
    form = ApiKeyCreateForm(request.POST if request.method == "POST" else None)
    created = raw_key = None
    if request.method == "POST" and form.is_valid():
        # A key without a name cannot be told apart from the next one: it gets a numbered one.
        name = form.cleaned_data["name"].strip() or _default_key_name(request.user)
        try:
            created, raw_key = services.api_key_create(user=request.user, name=name)
        except InvalidInput as exc:
            form.add_error("name", exc.message)
        else:
            form = ApiKeyCreateForm()
    # The raw key is in this one response only: it is never stored, so it cannot be shown again.
    return render(
        request,
        "studio/keys.html",
        {
            "section": "keys",
            "form": form,
            "created": created,
            "raw_key": raw_key,
            "keys": ApiKey.objects.filter(user=request.user).order_by("revoked_at", "-created_at"),
        },
    )


def _default_key_name(user) -> str:
    taken = set(ApiKey.objects.filter(user=user).values_list("name", flat=True))
    number = len(taken) + 1
    while f"Key {number}" in taken:
        number += 1
    return f"Key {number}"


@login_required
@require_POST
def api_key_revoke(request: HttpRequest, key_id: int) -> HttpResponse:
    try:
        key = services.api_key_revoke(user=request.user, key_id=key_id)
    except NotFound:
        raise Http404("No such API key.") from None
    messages.success(request, f"The key {key.prefix}… was revoked; requests with it are refused from now on.")
    return redirect("api-keys")


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico on pages that name no icon (the admin, JSON answers)."""
    return redirect(static("studio/favicon.svg"), permanent=True)


@staff_member_required
def staff_media(request: HttpRequest, name: str) -> HttpResponse:
    """Any stored file, for staff only: the admin's waveform players load samples, previews and
    generated speech through this (media is never served publicly)."""
    try:
        exists = default_storage.exists(name)
    except SuspiciousFileOperation:
        exists = False
    if not exists:
        raise Http404("No such file.")
    # file_response wants a FieldFile-like object: a name and the storage holding it.
    return file_response(SimpleNamespace(name=name, storage=default_storage))
