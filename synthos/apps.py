from django.apps import AppConfig


class SynthosConfig(AppConfig):
    name = "synthos"
    verbose_name = "Synthos platform"

    def ready(self) -> None:
        from synthos.api import schema  # noqa: F401  (registers the OpenAPI auth extensions)
