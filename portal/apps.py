from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portal: parties and users"

    def ready(self) -> None:
        from portal import authentication  # noqa: F401  (registers the OpenAPI auth scheme)
