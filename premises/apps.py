from django.apps import AppConfig


class PremisesConfig(AppConfig):
    """The premises timeline: reads inventory, gateway and incidents, so it sits above them (just under config)."""

    name = "premises"
    verbose_name = "Premises timeline"
