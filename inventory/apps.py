from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "inventory"
    verbose_name = "Smart Metering Inventory"

    def ready(self) -> None:
        # MP202: SRV 12.2 / 8.11 body handlers and the SRV 11.4 PPMID firmware check in the gateway.
        from inventory import duis_handlers

        duis_handlers.register()
