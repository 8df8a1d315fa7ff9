from django.apps import AppConfig


class GatewayConfig(AppConfig):
    name = "gateway"

    def ready(self) -> None:
        # 8.3 Decommission Device and 8.4 Update Inventory change the SMI through inventory's lifecycle services.
        from gateway.duis import inventory_updates

        inventory_updates.register()
