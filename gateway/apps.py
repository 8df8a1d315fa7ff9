from django.apps import AppConfig


class GatewayConfig(AppConfig):
    name = "gateway"

    def ready(self) -> None:
        # 8.3 Decommission Device and 8.4 Update Inventory change the SMI through inventory's lifecycle services.
        # MP202: the SRV 12.2 / 8.11 body handlers and the SRV 11.4 PPMID firmware check (inventory's rules,
        # registered here so inventory never imports gateway).
        from gateway import change_of_mode
        from gateway.dcc_alerts import schedules_on_restriction_changed
        from gateway.duis import inventory_updates, mp202
        from inventory.signals import restriction_changed

        inventory_updates.register()
        mp202.register()
        # MP169 R169-13: a device that becomes Restricted loses its DSP schedules of restricted SRVs (in the
        # restriction's transaction); R169-14: SRV 1.6 to prepayment on a restricted meter is refused (E72).
        restriction_changed.connect(schedules_on_restriction_changed, dispatch_uid="gateway.r169_13_schedules")
        change_of_mode.register()
