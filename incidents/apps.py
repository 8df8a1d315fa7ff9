from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incidents"

    def ready(self) -> None:
        from incidents import device_actions

        device_actions.register()
        # R121-11: inventory announces a Change of Supplier; incidents closes the device's open requests.
        from inventory.signals import device_supplier_changed

        device_supplier_changed.connect(_on_supplier_changed, dispatch_uid="incidents-close-on-cos")


def _on_supplier_changed(sender, **kwargs) -> None:
    from incidents.services.supplier_changes import incidents_close_on_supplier_change

    incidents_close_on_supplier_change(**kwargs)
