from django.apps import AppConfig


class GatewayConfig(AppConfig):
    name = "gateway"

    def ready(self) -> None:
        # 8.3 Decommission Device and 8.4 Update Inventory change the SMI through inventory's lifecycle services.
        # MP202: the SRV 12.2 / 8.11 body handlers and the SRV 11.4 PPMID firmware check (inventory's rules,
        # registered here so inventory never imports gateway).
        from gateway.duis import inventory_updates, mp202

        inventory_updates.register()
        mp202.register()
