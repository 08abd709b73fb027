import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings")
# Build the Django app first: it sets up the app registry that the consumers' imports need.
django_asgi_app = get_asgi_application()

from django.conf import settings  # noqa: E402
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler  # noqa: E402

from studio.storage import storage_ensure_at_start  # noqa: E402

# A web process that cannot use its storage (missing bucket, wrong S3 credentials) stops here, saying
# what to fix, instead of failing every upload later.
storage_ensure_at_start()

if settings.STUDIO_SERVE_STATIC:
    # One process serves its own static files (embedded mode); behind a proxy, let the proxy do it.
    django_asgi_app = ASGIStaticFilesHandler(django_asgi_app)

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from jobs.routing import websocket_urlpatterns as job_routes  # noqa: E402
from studio.auth import WebsocketAuthStack  # noqa: E402
from studio.gate import RequestGate  # noqa: E402
from studio.websockets import BrowserOriginValidator, not_found_route  # noqa: E402
from synthesis.routing import websocket_urlpatterns as speech_routes  # noqa: E402
from voices.routing import websocket_urlpatterns as voice_routes  # noqa: E402

application = ProtocolTypeRouter(
    {
        # Body size and credentials are checked before Django reads a body (studio/gate.py).
        "http": RequestGate(django_asgi_app),
        # The origin check runs after the API key is read: clients with a key need not send Origin.
        "websocket": WebsocketAuthStack(
            BrowserOriginValidator(URLRouter([*job_routes, *voice_routes, *speech_routes, not_found_route]))
        ),
    }
)
