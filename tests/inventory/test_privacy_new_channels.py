"""Privacy (DOMAIN.md) on the MP169 channels of issue 17: a party sees a device's restriction history only while
it may see the device. After a Change of Supplier the losing supplier reads nothing through the device page,
REST history, the premises timeline (page and REST), the restriction notices or the home card; after a hub
replacement to another CSP's region the old CSP no longer reads the moved meters, the new one does."""
from __future__ import annotations

import pytest
from django.urls import reverse

from inventory.choices import CSPRegion, DeviceType, RestrictionChannel
from inventory.models import Device, RestrictionChange
from inventory.services.hub_replacement import hub_replace
from inventory.services.restriction import restriction_set
from inventory.services.supplier_changes import supplier_change_record
from portal.models import Party
from tests.factories import DeviceFactory, HubFactory

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

SET = {"restricted": True, "reason": "Consumer refused", "attested": True, "channel": RestrictionChannel.WEB}


@pytest.fixture
def changed_hands(sms, supplier, other_supplier, make_user, dcc_user):
    """A restricted gas meter moved to supplier B, which clears and sets it again afterwards."""
    restriction_set(device=sms["GSME"], actor=make_user(supplier), **SET)
    for device in (sms["GSME"], sms["ESME"], sms["CHF"]):
        supplier_change_record(device=Device.objects.get(pk=device.pk), new_supplier=other_supplier, actor=dcc_user)
    gaining = make_user(other_supplier)
    gsme = Device.objects.get(pk=sms["GSME"].pk)
    restriction_set(device=gsme, actor=gaining, **{**SET, "restricted": False, "reason": "Change of tenancy"})
    restriction_set(device=Device.objects.get(pk=gsme.pk), actor=gaining, **SET)
    return Device.objects.get(pk=gsme.pk)


def test_the_losing_supplier_reads_nothing_on_any_channel(changed_hands, client, api_client_for, supplier,
                                                          make_user):
    gas = changed_hands.device_id
    client.force_login(make_user(supplier))
    for url in (reverse("inventory:device-detail", args=[gas]), reverse("premises:timeline", args=[gas]),
                reverse("inventory:restriction-history-csv", args=[gas])):
        assert client.get(url).status_code == 404, url
    assert "Restricted meters you gained" in client.get(reverse("home")).content.decode()
    assert gas not in client.get(reverse("home")).content.decode()
    api = api_client_for(supplier)
    for url in (f"/api/v1/devices/{gas}/restriction-history/", f"/api/v1/premises/{gas}/timeline/"):
        assert api.get(url).status_code == 404, url
    assert api.get("/api/v1/restriction-notices/").json()["results"] == []


def test_the_gaining_supplier_reads_the_whole_history_it_needs(changed_hands, api_client_for, other_supplier):
    api = api_client_for(other_supplier)
    history = api.get(f"/api/v1/devices/{changed_hands.device_id}/restriction-history/").json()["results"]
    assert [(row["party"], row["new_value"]) for row in history] == [("SUPB", True), ("SUPB", False), ("SUPA", True)]
    timeline = api.get(f"/api/v1/premises/{changed_hands.device_id}/timeline/").json()["results"]
    assert sum(row["source"] == "restriction" for row in timeline) == 6  # the GSME's three and its GPF's three


def test_after_a_hub_replacement_the_old_csp_no_longer_reads_the_moved_meters(changed_hands, sms, other_supplier,
                                                                              make_user, api_client_for, csp_north):
    new_hub = HubFactory(responsible_supplier=other_supplier, csp_region=CSPRegion.CENTRAL_4G)
    DeviceFactory(device_type=DeviceType.GPF, hub=new_hub, mpxn="", responsible_supplier=other_supplier,
                  csp_region=CSPRegion.CENTRAL_4G)
    # The GPF moved with its gas meter on the Change of Supplier, so supplier B may replace the hub.
    assert Device.objects.get(pk=sms["GPF"].pk).responsible_supplier == other_supplier
    hub_replace(actor=make_user(other_supplier), old_hub=Device.objects.get(pk=sms["CHF"].pk), new_hub=new_hub)
    gas = changed_hands.device_id

    north = api_client_for(csp_north)
    assert north.get(f"/api/v1/premises/{gas}/timeline/").status_code == 404
    assert north.get(f"/api/v1/devices/{gas}/restriction-history/").status_code == 404
    north_notices = north.get("/api/v1/restriction-notices/").json()["results"]
    assert north_notices[0]["change"] == "cleared" and north_notices[0]["device_id"] == sms["GPF"].device_id
    assert all(row["csp_region"] == "North" for row in north_notices)

    central = api_client_for(Party.objects.get(code="CSPC"))
    (notice,) = central.get("/api/v1/restriction-notices/").json()["results"]
    assert (notice["change"], notice["hub_id"], notice["mpxn"]) == ("set", new_hub.device_id, changed_hands.mpxn)
    timeline = central.get(f"/api/v1/premises/{gas}/timeline/").json()["results"]
    assert {row["source"] for row in timeline} >= {"restriction", "hub_replacement"}
    assert RestrictionChange.objects.filter(channel=RestrictionChannel.HUB_REPLACEMENT).count() == 2
