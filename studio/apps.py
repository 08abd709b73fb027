from django.apps import AppConfig
from django.core.signals import setting_changed

# The settings each engine is built with (engines/ reads no settings of its own).
ENGINE_SETTINGS = {
    "xtts": {"checkpoint_dir": "STUDIO_XTTS_DIR"},
    "openvoice": {"checkpoint_dir": "STUDIO_OPENVOICE_DIR"},
}


def engines_configure() -> None:
    """Hand the engine registry what the operator configured."""
    from django.conf import settings

    import engines

    engines.configure(
        {
            name: {keyword: getattr(settings, setting, "") for keyword, setting in keywords.items()}
            for name, keywords in ENGINE_SETTINGS.items()
        }
    )


def _engines_reconfigure(*, setting: str, **kwargs: object) -> None:
    if any(setting in keywords.values() for keywords in ENGINE_SETTINGS.values()):
        engines_configure()


_registered: set[str] = set()


def metrics_register(key: str, collector: str) -> None:
    """Register a Prometheus collector ("module:Class") once per process (``/metrics`` serves them)."""
    if key in _registered:
        return
    from importlib import import_module

    from prometheus_client import REGISTRY

    module_name, class_name = collector.split(":")
    REGISTRY.register(getattr(import_module(module_name), class_name)())
    _registered.add(key)


class StudioConfig(AppConfig):
    name = "studio"
    verbose_name = "Studio accounts and keys"

    def ready(self) -> None:
        from studio import schema  # noqa: F401  (registers the OpenAPI auth extension)

        engines_configure()
        metrics_register("database", "studio.metrics:DatabaseCollector")
        setting_changed.connect(_engines_reconfigure, dispatch_uid="studio.engines_reconfigure")
