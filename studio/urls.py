from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("v1/schema", SpectacularAPIView.as_view(), name="schema"),
    path("v1/docs", SpectacularRedocView.as_view(url_name="schema"), name="api-docs"),
    path("v1/", include("voices.urls")),
    path("v1/", include("synthesis.urls")),
]
