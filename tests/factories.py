"""factory-boy factories for the whole suite. Add new ones here, grouped by app."""
from __future__ import annotations

import itertools

import factory
from django.utils import timezone

from inventory.choices import CPLStatus, CSPRegion, DeviceStatus, DeviceType, SmetsVersion
from inventory.models import CPLEntry, Device
from portal.models import Party, User

_device_counter = itertools.count(1)


def next_device_id() -> str:
    """A unique EUI-64 for tests: 00-DB-12-xx-xx-xx-xx-xx."""
    value = 0x00DB120000000000 + next(_device_counter)
    raw = f"{value:016X}"
    return "-".join(raw[i:i + 2] for i in range(0, 16, 2))


class PartyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Party
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"SUP{n:03d}")
    name = factory.LazyAttribute(lambda o: f"Supplier {o.code}")
    roles = factory.LazyFunction(lambda: ["IS", "GS"])
    operational_email = factory.LazyAttribute(lambda o: f"ops@{o.code.lower()}.example")
    escalation_email = factory.LazyAttribute(lambda o: f"escalations@{o.code.lower()}.example")


class SupplierFactory(PartyFactory):
    roles = factory.LazyFunction(lambda: ["IS", "GS"])


class NetworkOperatorFactory(PartyFactory):
    code = factory.Sequence(lambda n: f"DNO{n:03d}")
    name = factory.LazyAttribute(lambda o: f"Network operator {o.code}")
    roles = factory.LazyFunction(lambda: ["ED"])


class OtherUserFactory(PartyFactory):
    code = factory.Sequence(lambda n: f"OTH{n:03d}")
    roles = factory.LazyFunction(lambda: ["OU"])


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    party = factory.SubFactory(SupplierFactory)
    password = factory.django.Password("correct-horse-battery")


class CPLEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CPLEntry
        django_get_or_create = ("manufacturer", "model", "hardware_version", "firmware_version", "smets_version")

    device_type = DeviceType.ESME
    manufacturer = "ACME"
    model = factory.LazyAttribute(lambda o: f"{o.device_type}-100")
    hardware_version = "1.0"
    firmware_version = "1.0.0"
    smets_version = SmetsVersion.SMETS2_PLUS
    status = CPLStatus.ACTIVE


class DeviceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Device

    device_id = factory.LazyFunction(next_device_id)
    device_type = DeviceType.ESME
    status = DeviceStatus.COMMISSIONED
    smets_version = SmetsVersion.SMETS2_PLUS
    cpl_entry = factory.SubFactory(
        CPLEntryFactory,
        device_type=factory.SelfAttribute("..device_type"),
        smets_version=factory.SelfAttribute("..smets_version"),
    )
    mpxn = factory.Sequence(lambda n: f"{1900000000000 + n}")
    uprn = factory.Sequence(lambda n: f"{10000000 + n}")
    postcode = "SW1A 1AA"
    csp_region = CSPRegion.NORTH
    responsible_supplier = factory.SubFactory(SupplierFactory)
    prenotifying_supplier = factory.SelfAttribute("responsible_supplier")
    date_commissioned = factory.LazyFunction(timezone.localdate)


class HubFactory(DeviceFactory):
    device_type = DeviceType.CHF
    mpxn = ""


def make_sms(*, supplier: Party | None = None, gas: bool = True, **device_kwargs) -> dict[str, Device]:
    """A commissioned SMETS2+ Smart Metering System: hub, ESME and (optionally) GSME + GPF.

    Returns the devices by type. Extra keyword arguments apply to every device.
    """
    supplier = supplier or SupplierFactory()
    common = {"responsible_supplier": supplier, "prenotifying_supplier": supplier, **device_kwargs}
    hub = HubFactory(**common)
    shared = {"hub": hub, "uprn": hub.uprn, "postcode": hub.postcode, "csp_region": hub.csp_region, **common}
    sms = {"CHF": hub, "ESME": DeviceFactory(device_type=DeviceType.ESME, **shared)}
    if gas:
        sms["GPF"] = DeviceFactory(device_type=DeviceType.GPF, mpxn="", **shared)
        sms["GSME"] = DeviceFactory(device_type=DeviceType.GSME, mpxn=f"{next(_device_counter) % 10**10:010d}", **shared)
    return sms
