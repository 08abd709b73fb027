from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView

from studio import health
from studio import views as studio_views
from studio.api import UnknownApiPathView
from studio.api_engines import EngineListView
from studio.metrics import metrics
from synthesis import views as synthesis_views
from voices import views as voice_views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics, name="metrics"),
    path("v1/schema", SpectacularAPIView.as_view(), name="schema"),
    path(
        "v1/docs",
        SpectacularRedocView.as_view(url_name="schema", template_name="studio/api_docs.html"),
        name="api-docs",
    ),
    path("favicon.ico", studio_views.favicon, name="favicon"),
    path("v1/", include("jobs.urls")),
    path("v1/", include("voices.urls")),
    path("v1/", include("synthesis.urls")),
    path("v1/engines", EngineListView.as_view(), name="engine-list"),
    re_path(r"^v1(/.*)?$", UnknownApiPathView.as_view(), name="api-not-found"),  # JSON, never HTML
    # The browser studio.
    path("login", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout", auth_views.LogoutView.as_view(), name="logout"),
    path("", voice_views.voice_library, name="voice-library"),
    path("voices/new", voice_views.voice_new, name="voice-new"),
    path("voices/<str:voice_id>", voice_views.voice_page, name="voice-page"),
    path("voices/<str:voice_id>/delete", voice_views.voice_delete, name="voice-delete"),
    path("voices/<str:voice_id>/trust", voice_views.voice_trust, name="voice-page-trust"),
    path("voices/<str:voice_id>/renew", voice_views.voice_renew, name="voice-page-renew"),
    path("voices/<str:voice_id>/consent/revoke", voice_views.voice_consent_revoke, name="voice-page-revoke"),
    path("speech", synthesis_views.speech_page, name="speech-page"),
    path("speech/<str:speech_id>/delete", synthesis_views.speech_delete, name="speech-delete"),
    path("history", synthesis_views.history, name="history"),
    path("keys", studio_views.api_keys, name="api-keys"),
    path("keys/<int:key_id>/revoke", studio_views.api_key_revoke, name="api-key-revoke"),
    path("staff/media/<path:name>", studio_views.staff_media, name="staff-media"),
]

handler400 = "studio.api.handler400"
handler403 = "studio.api.handler403"
handler404 = "studio.api.handler404"
handler500 = "studio.api.handler500"
