import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings")
# Build the Django app first: it sets up the app registry that the consumers' imports need.
django_asgi_app = get_asgi_application()

from django.conf import settings  # noqa: E402
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler  # noqa: E402

if settings.STUDIO_SERVE_STATIC:
    # One process serves its own static files (embedded mode); behind a proxy, let the proxy do it.
    django_asgi_app = ASGIStaticFilesHandler(django_asgi_app)

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from jobs.routing import websocket_urlpatterns as job_routes  # noqa: E402
from studio.auth import ApiKeyWebsocketMiddleware  # noqa: E402
from synthesis.routing import websocket_urlpatterns as speech_routes  # noqa: E402
from voices.routing import websocket_urlpatterns as voice_routes  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(
                ApiKeyWebsocketMiddleware(URLRouter(job_routes + voice_routes + speech_routes))
            )
        ),
    }
)
