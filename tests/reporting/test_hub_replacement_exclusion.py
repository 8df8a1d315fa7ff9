"""R169-10 with R169-12: a meter restricted through a hub replacement is still left out of the CSP's measure.
The flag (its history) moves with the SMS to the new hub's GPF, and the log records the state at each request,
so requests before and after the swap-out are excluded, each under the CSP region of the hub it went through."""
from __future__ import annotations

from django.utils import timezone

from gateway.choices import Channel
from gateway.services import service_request_submit
from inventory.choices import CSPRegion, DeviceStatus, DeviceType, RestrictionChannel
from inventory.models import Device
from inventory.services.hub_replacement import hub_replace
from inventory.services.restriction import restriction_set
from reporting.queries import performance_rows
from tests.factories import DeviceFactory, HubFactory


def _read_gas(supplier, user, device) -> str:
    """SRV 4.1.4 (gas block counters: consumption data, on the restricted list) to the GSME or its GPF."""
    outcome = service_request_submit(party=supplier, user=user, srv="4.1.4", device_id=device.device_id,
                                     command_variant=1, channel=Channel.JSON)
    return outcome.response_code


def test_requests_before_and_after_a_hub_replacement_are_excluded(sms, supplier, make_user, settings):
    settings.GATEWAY_LOG_ASYNC_COMMIT = False
    user = make_user(supplier)
    restriction_set(device=sms["GSME"], actor=user, restricted=True, reason="Consumer refused", attested=True,
                    channel=RestrictionChannel.WEB)
    assert _read_gas(supplier, user, sms["GPF"]) == "E72"  # through the old hub (North)

    new_hub = HubFactory(responsible_supplier=supplier, csp_region=CSPRegion.CENTRAL_4G)
    new_gpf = DeviceFactory(device_type=DeviceType.GPF, hub=new_hub, mpxn="", csp_region=CSPRegion.CENTRAL_4G,
                            responsible_supplier=supplier, status=DeviceStatus.COMMISSIONED)
    hub_replace(actor=user, old_hub=sms["CHF"], new_hub=new_hub)
    assert Device.objects.get(pk=sms["GSME"].pk).csp_region == CSPRegion.CENTRAL_4G

    assert _read_gas(supplier, user, new_gpf) == "E72"
    assert _read_gas(supplier, user, Device.objects.get(pk=sms["GSME"].pk)) == "E72"
    assert _read_gas(supplier, user, sms["GPF"]) != "E72"  # the old GPF is cleared (and Withdrawn)

    month = timezone.now().date().replace(day=1)
    rows = [row for row in performance_rows(first=month, last=month) if row["srv_category"] == "consumption"]
    excluded = {row["csp_region"]: row["excluded_restricted"] for row in rows}
    assert excluded == {"North": 1, "4G Central": 2}
    north = next(row for row in rows if row["csp_region"] == "North")
    assert north["succeeded"] == north["failed"] == 0 and north["rejected_user_caused"] == 1  # the withdrawn GPF
