"""8.3 Decommission Device and 8.4 Update Inventory over DUIS (issue 16 item 6): the device the body names must
exist (E19) and be the caller's (E4), and the SMI really changes (``inventory.services.lifecycle``)."""
from __future__ import annotations

import pytest
from lxml import etree

from gateway.models import ServiceRequestLog
from inventory.choices import DeviceStatus, DeviceType
from inventory.models import Device
from tests.duis_samples import duis
from tests.factories import DeviceFactory, SupplierFactory

SR = "{http://www.dccinterface.co.uk/ServiceUserGateway}"


def request(srv: str, body: str) -> bytes:
    return duis("8.2", {
        "<sr:ServiceReference>8.2<": f"<sr:ServiceReference>{srv}<",
        "<sr:ServiceReferenceVariant>8.2<": f"<sr:ServiceReferenceVariant>{srv}<",
        "<sr:ReadInventory>": f"<sr:{'DecommissionDevice' if srv == '8.3' else 'UpdateInventory'}>",
        "</sr:ReadInventory>": f"</sr:{'DecommissionDevice' if srv == '8.3' else 'UpdateInventory'}>",
        "<sr:DeviceID>00-DB-12-34-56-78-90-A2</sr:DeviceID>": body,
    })


def decommission(device_id: str) -> bytes:
    return request("8.3", f"<sr:DeviceID>{device_id}</sr:DeviceID>")


def update(device_id: str, change: str) -> bytes:
    return request("8.4", f"<sr:DeviceID>{device_id}</sr:DeviceID>{change}")


def code_of(response) -> str:
    assert response.status_code == 200, response.content
    return etree.fromstring(response.content).findtext(f"{SR}Header/{SR}ResponseCode")


@pytest.fixture
def hrth(duis_identities):
    return duis_identities[0]


@pytest.fixture
def sender(duis_sender, hrth):
    return duis_sender(hrth)


def test_decommission_changes_the_smi(sender, hrth):
    meter = DeviceFactory(responsible_supplier=hrth)
    assert code_of(sender.post(decommission(meter.device_id))) == "I0"
    meter.refresh_from_db()
    assert meter.status == DeviceStatus.DECOMMISSIONED
    assert ServiceRequestLog.objects.get().device_id == meter.device_id


def test_decommission_of_an_unknown_device_is_e19(sender):
    assert code_of(sender.post(decommission("00-DB-99-99-99-99-99-99"))) == "E19"


def test_decommission_of_another_suppliers_device_is_e4_and_changes_nothing(sender):
    theirs = DeviceFactory(responsible_supplier=SupplierFactory(code="BRKW"))
    assert code_of(sender.post(decommission(theirs.device_id))) == "E4"
    theirs.refresh_from_db()
    assert theirs.status == DeviceStatus.COMMISSIONED


def test_decommission_twice_is_refused(sender, hrth):
    meter = DeviceFactory(responsible_supplier=hrth, status=DeviceStatus.DECOMMISSIONED)
    assert code_of(sender.post(decommission(meter.device_id))) == "E5"


def test_update_inventory_sets_a_status_a_user_may_set(sender, hrth):
    meter = DeviceFactory(responsible_supplier=hrth, status=DeviceStatus.PENDING)
    change = "<sr:UpdateDeviceStatusExceptCH>InstalledNotCommissioned</sr:UpdateDeviceStatusExceptCH>"
    assert code_of(sender.post(update(meter.device_id, change))) == "I0"
    meter.refresh_from_db()
    assert meter.status == DeviceStatus.INSTALLED_NOT_COMMISSIONED


def test_update_inventory_refuses_a_hub_status_for_a_meter(sender, hrth):
    meter = DeviceFactory(responsible_supplier=hrth, status=DeviceStatus.PENDING)
    change = "<sr:UpdateDeviceStatusCH>Withdrawn</sr:UpdateDeviceStatusCH>"
    assert code_of(sender.post(update(meter.device_id, change))) == "E5"
    meter.refresh_from_db()
    assert meter.status == DeviceStatus.PENDING


def test_update_inventory_sets_the_import_mpxn_and_deletes_a_prenotified_device(sender, hrth):
    meter = DeviceFactory(responsible_supplier=hrth, status=DeviceStatus.PENDING, device_type=DeviceType.ESME)
    change = "<sr:UpdateMPxN><sr:ImportMPxN>1900000054321</sr:ImportMPxN></sr:UpdateMPxN>"
    assert code_of(sender.post(update(meter.device_id, change))) == "I0"
    assert Device.objects.get(pk=meter.pk).mpxn == "1900000054321"
    assert code_of(sender.post(update(meter.device_id, "<sr:DeleteDevice/>"))) == "I0"
    assert Device.objects.get(pk=meter.pk).status == DeviceStatus.WITHDRAWN


def test_update_inventory_of_another_suppliers_device_is_e4(sender):
    theirs = DeviceFactory(responsible_supplier=SupplierFactory(code="BRKW"), status=DeviceStatus.PENDING)
    assert code_of(sender.post(update(theirs.device_id, "<sr:DeleteDevice/>"))) == "E4"
    assert Device.objects.get(pk=theirs.pk).status == DeviceStatus.PENDING
