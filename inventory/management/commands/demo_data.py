"""``manage.py demo_data --devices N [--seed S]``: a realistic demo estate (docs/API.md operations contract).

Parties (suppliers, network operators, an Other User, an agent; the DCC and CSP parties get
demo contact details), one demo login per role, a Central Products List (older and newer
firmware, dual-mode PPMIDs with a SMETS1 and a SMETS2+ row per firmware), and N devices in
Smart Metering Systems: a hub (CHF) with an ESME, usually gas (GPF + GSME), often a PPMID and
an IHD, sometimes an HCALCS or CAD, all sharing the premises' UPRN, postcode and CSP region.
About 1% of eligible SMETS2+ credit meters are Restricted (a GSME with its GPF), each with its
``RestrictionChange`` audit row.

Idempotent for the same seed: every Device ID is derived from the seed and the device's place in
the estate (``00-DB-5E-<seed>-<serial>``), SMS are generated in order from one seeded random
stream, and a run inserts only the devices after the last one already present. Running it twice
with the same arguments leaves the data unchanged; a larger ``--devices`` extends the estate.

Devices go in through PostgreSQL ``COPY ... FROM STDIN`` in batches of ``--batch`` rows, one
transaction each, with a progress bar on stderr.
"""
from __future__ import annotations

import contextlib
import datetime
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError, OutputWrapper
from django.db import connection, transaction

from inventory.choices import (
    CPLStatus,
    CSPRegion,
    DeviceStatus,
    DeviceType,
    LoadManagement,
    PaymentMode,
    RestrictionChannel,
    SmetsVersion,
)
from inventory.models import CPLEntry, Device, RestrictionChange
from portal.models import Party, User

DEMO_PASSWORD = "demo-password"
DEVICE_ID_PREFIX = 0x00DB5E
SLOTS = [DeviceType.CHF, DeviceType.ESME, DeviceType.GPF, DeviceType.GSME, DeviceType.PPMID, DeviceType.IHD,
         DeviceType.HCALCS, DeviceType.CAD]
SLOTS_PER_SMS = len(SLOTS)
MAX_SERIAL = 2**32 - 1
START = datetime.date(2018, 1, 1)
SMETS1_START = datetime.date(2014, 6, 1)
END = datetime.date(2026, 10, 31)
UTC = datetime.UTC

# --- Parties and logins ------------------------------------------------------------------------
# (code, name, roles, demo username); network operators also carry the region they serve.
SUPPLIERS = [
    ("HRTH", "Hearthstone Energy Ltd", ["IS", "GS"], "supplier-a"),
    ("BRKW", "Brookway Power & Gas plc", ["IS", "GS"], "supplier-b"),
    ("OAKF", "Oakfield Utilities Ltd", ["IS", "GS"], "supplier-c"),
    ("SWFT", "Swift Electric Supply Ltd", ["IS"], "supplier-d"),
    ("SLNT", "Solent Renewable Energy Ltd", ["IS", "ES"], "supplier-e"),
]
#: Share of premises each supplier serves (electricity).
SUPPLIER_WEIGHTS = [34, 28, 20, 10, 8]
ELECTRICITY_DISTRIBUTORS = [
    ("ENNW", "North West Power Networks plc", "North", "dno-a", "16"),
    ("ENMD", "Midlands Grid Distribution plc", "Central", "dno-b", "14"),
    ("ENSE", "South Eastern Power Distribution plc", "South", "dno-c", "19"),
]
GAS_TRANSPORTERS = [
    ("GTNO", "Northern Gas Transportation Ltd", ["North", "Central"], "gt-a"),
    ("GTSO", "Southern Gas Pipelines Ltd", ["South"], "gt-b"),
]
OTHER_PARTIES = [
    ("CLRS", "Clearsight Energy Data Ltd", ["OU"], "other-user"),
    ("MTRW", "Meterwise Installation Agents Ltd", ["RSA"], "agent"),
]
CORE_LOGINS = [("DCC", "dcc-desk"), ("CSPN", "csp-north"), ("CSPC", "csp-central"), ("CSPS", "csp-south")]

# --- Central Products List ---------------------------------------------------------------------
# (device type, manufacturer, model, hardware version, SMETS versions, [(firmware, status), oldest first])
CPL_MODELS = [
    (DeviceType.CHF, "Kestrel Comms", "KCH-300", "2.1", ["SMETS2+"],
     [("1.2.0", CPLStatus.WITHDRAWN), ("1.4.1", CPLStatus.EXPIRED), ("2.0.3", CPLStatus.ACTIVE)]),
    (DeviceType.CHF, "Kestrel Comms", "KCH-4G", "3.0", ["SMETS2+"],
     [("3.1.0", CPLStatus.ACTIVE), ("3.2.0", CPLStatus.ACTIVE)]),
    (DeviceType.CHF, "Tamar Networks", "TN-HUB2", "1.4", ["SMETS2+"],
     [("4.0.1", CPLStatus.EXPIRED), ("4.2.0", CPLStatus.ACTIVE)]),
    (DeviceType.CHF, "Tamar Networks", "TN-S1HUB", "1.0", ["SMETS1"],
     [("0.9.8", CPLStatus.EXPIRED), ("1.0.2", CPLStatus.ACTIVE)]),
    (DeviceType.GPF, "Kestrel Comms", "KCH-300 GPF", "2.1", ["SMETS2+"],
     [("1.4.1", CPLStatus.EXPIRED), ("2.0.3", CPLStatus.ACTIVE)]),
    (DeviceType.GPF, "Tamar Networks", "TN-HUB2 GPF", "1.4", ["SMETS2+"],
     [("4.0.1", CPLStatus.EXPIRED), ("4.2.0", CPLStatus.ACTIVE)]),
    (DeviceType.GPF, "Tamar Networks", "TN-S1HUB GPF", "1.0", ["SMETS1"], [("1.0.2", CPLStatus.ACTIVE)]),
    (DeviceType.ESME, "Northmere Metering", "NM-E350", "1.0", ["SMETS2+"],
     [("1.1.0", CPLStatus.WITHDRAWN), ("1.3.2", CPLStatus.EXPIRED), ("1.5.0", CPLStatus.ACTIVE)]),
    (DeviceType.ESME, "Castellan Instruments", "CI-E1", "2.0", ["SMETS2+"],
     [("2.0.1", CPLStatus.EXPIRED), ("2.2.0", CPLStatus.ACTIVE)]),
    (DeviceType.ESME, "Castellan Instruments", "CI-S1E", "1.2", ["SMETS1"],
     [("4.0.0", CPLStatus.EXPIRED), ("4.1.0", CPLStatus.ACTIVE)]),
    (DeviceType.GSME, "Avonlea Controls", "AC-G4", "1.1", ["SMETS2+"],
     [("1.0.0", CPLStatus.EXPIRED), ("1.2.0", CPLStatus.ACTIVE)]),
    (DeviceType.GSME, "Northmere Metering", "NM-G20", "3.0", ["SMETS2+"],
     [("3.0.0", CPLStatus.WITHDRAWN), ("3.1.5", CPLStatus.ACTIVE)]),
    (DeviceType.GSME, "Avonlea Controls", "AC-S1G", "1.0", ["SMETS1"], [("2.3.0", CPLStatus.ACTIVE)]),
    # MP202: a dual-mode PPMID has a SMETS1 and a SMETS2+ row for every firmware version.
    (DeviceType.PPMID, "Brightside Displays", "BD-P10", "1.0", ["SMETS1", "SMETS2+"],
     [("1.0.4", CPLStatus.EXPIRED), ("1.1.0", CPLStatus.ACTIVE)]),
    (DeviceType.PPMID, "Brightside Displays", "BD-P20", "2.0", ["SMETS2+"], [("2.0.0", CPLStatus.ACTIVE)]),
    (DeviceType.IHD, "Brightside Displays", "BD-H5", "5.0", ["SMETS2+"],
     [("5.0.0", CPLStatus.EXPIRED), ("5.2.1", CPLStatus.ACTIVE)]),
    (DeviceType.IHD, "Penrith Devices", "PD-IHD1", "1.0", ["SMETS1"], [("1.0.0", CPLStatus.ACTIVE)]),
    (DeviceType.HCALCS, "Avonlea Controls", "AC-LCS1", "1.0", ["SMETS2+"], [("1.0.0", CPLStatus.ACTIVE)]),
    (DeviceType.CAD, "Penrith Devices", "PD-CAD2", "2.1", ["SMETS2+"],
     [("2.0.0", CPLStatus.CANCELLED), ("2.1.0", CPLStatus.ACTIVE)]),
]
#: How often a device runs each firmware of its model, oldest first (the newest is the most common).
FIRMWARE_WEIGHTS = {1: [1], 2: [3, 7], 3: [1, 3, 6]}

# --- The estate's shape ------------------------------------------------------------------------
STATUS_WEIGHTS = [
    (DeviceStatus.COMMISSIONED, 900), (DeviceStatus.INSTALLED_NOT_COMMISSIONED, 30), (DeviceStatus.PENDING, 15),
    (DeviceStatus.WHITELISTED, 15), (DeviceStatus.DECOMMISSIONED, 15), (DeviceStatus.SUSPENDED, 10),
    (DeviceStatus.WITHDRAWN, 5), (DeviceStatus.RECOVERY, 5), (DeviceStatus.RECOVERED, 5),
]
NOT_YET_COMMISSIONED = {DeviceStatus.PENDING, DeviceStatus.WHITELISTED, DeviceStatus.INSTALLED_NOT_COMMISSIONED}
SMETS2_REGIONS = [(CSPRegion.NORTH, 25), (CSPRegion.CENTRAL, 25), (CSPRegion.SOUTH, 25), (CSPRegion.NORTH_4G, 8),
                  (CSPRegion.CENTRAL_4G, 8), (CSPRegion.SOUTH_4G, 8)]
GEOGRAPHY = {  # where a CSP region's premises are: postcode areas
    "North": ["M", "LS", "NE", "L", "G", "EH", "BD", "PR"],
    "Central": ["B", "NG", "CV", "LE", "SY", "DE", "WV", "CF"],
    "South": ["SW", "BS", "SO", "BN", "PL", "OX", "RG", "EX"],
}
STREETS = ["High Street", "Station Road", "Church Lane", "Mill Road", "Park Avenue", "Victoria Road", "Green Lane",
           "Manor Way", "Kings Road", "Queensway", "The Crescent", "Orchard Close"]
POSTCODE_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
RESTRICTION_RATE = 0.01
RESTRICTION_REASONS = [
    "Consumer refused remote collection of consumption data after all reasonable steps were taken (MP169).",
    "Change of tenancy: the new occupier refused remote collection of consumption data.",
]

#: The first SMS of every estate show every status, region, device type and MP169 case, so even
#: a small estate has them. (status, CSP region or None for SMETS1, extra premises facts)
ELIGIBLE = {"payment_mode": PaymentMode.CREDIT, "load_management": LoadManagement.NONE, "network_managed_no_wan": False}
SHOWCASE = [
    (DeviceStatus.COMMISSIONED, CSPRegion.NORTH, {**ELIGIBLE, "all_devices": True, "restrict_gas": True}),
    (DeviceStatus.COMMISSIONED, CSPRegion.CENTRAL, {**ELIGIBLE, "restrict_electricity": True, "restrict_gas": True}),
    (DeviceStatus.COMMISSIONED, CSPRegion.SOUTH, {"payment_mode": PaymentMode.PREPAYMENT, "ppmid": True}),
    (DeviceStatus.COMMISSIONED, CSPRegion.NORTH_4G, {"load_management": LoadManagement.ECONOMY_7}),
    (DeviceStatus.COMMISSIONED, CSPRegion.CENTRAL_4G, {"network_managed_no_wan": True}),
    (DeviceStatus.COMMISSIONED, CSPRegion.SOUTH_4G, {"load_management": LoadManagement.RADIO_TELESWITCH}),
    (DeviceStatus.COMMISSIONED, None, {"payment_mode": PaymentMode.PREPAYMENT, "ppmid": True}),
    (DeviceStatus.PENDING, CSPRegion.UNKNOWN, {"changed_supplier": True}),
    (DeviceStatus.WHITELISTED, CSPRegion.NORTH, {"changed_supplier": True}),
    (DeviceStatus.INSTALLED_NOT_COMMISSIONED, CSPRegion.SOUTH, {"changed_supplier": True}),
    (DeviceStatus.DECOMMISSIONED, CSPRegion.CENTRAL, {}),
    (DeviceStatus.WITHDRAWN, CSPRegion.NORTH, {}),
    (DeviceStatus.SUSPENDED, CSPRegion.SOUTH, {}),
    (DeviceStatus.RECOVERY, CSPRegion.CENTRAL, {}),
    (DeviceStatus.RECOVERED, CSPRegion.NORTH, {"load_management": LoadManagement.LOAD_MANAGED, "hcalcs": True}),
    (DeviceStatus.COMMISSIONED, CSPRegion.SOUTH, {**ELIGIBLE, "restrict_gas": True, "cad": True}),
]

DEVICE_COLUMNS = [
    "id", "device_id", "device_type", "status", "smets_version", "cpl_entry_id", "hub_id", "mpxn", "uprn", "postcode",
    "address_identifier", "csp_region", "responsible_supplier_id", "prenotifying_supplier_id", "network_operator_id",
    "payment_mode", "load_management", "network_managed_no_wan", "date_commissioned", "restricted",
    "restricted_since", "created_at", "updated_at",
]


def device_id_for(seed: int, serial: int) -> str:
    value = (DEVICE_ID_PREFIX << 40) | (seed << 32) | serial
    raw = f"{value:016X}"
    return "-".join(raw[i:i + 2] for i in range(0, 16, 2))


def serial_of(device_id: str) -> int:
    return int(device_id.replace("-", ""), 16) & MAX_SERIAL


@dataclass
class PlannedDevice:
    slot: int
    device_type: str
    status: str
    smets_version: str
    cpl_entry_id: int
    mpxn: str
    responsible_supplier_id: int
    prenotifying_supplier_id: int
    network_operator_id: int
    date_commissioned: datetime.date | None
    created_at: datetime.datetime
    restricted_since: datetime.datetime | None = None


@dataclass
class PlannedSms:
    index: int
    devices: list[PlannedDevice]
    uprn: str
    postcode: str
    address: str
    csp_region: str
    payment_mode: str
    load_management: str
    no_wan: bool
    restriction_reasons: dict[int, str] = field(default_factory=dict)  # slot -> reason


@dataclass
class Catalogue:
    """What the estate generator draws from: party ids and CPL row choices."""

    suppliers: list[Party]
    gas_suppliers: list[Party]
    distributors: dict[str, tuple[Party, str]]  # geographic region -> (ED, MPAN prefix)
    transporters: dict[str, Party]
    cpl: dict[tuple[str, str], list[tuple[list[int], list[int]]]]  # (type, SMETS) -> [(row ids, weights)] per model
    actors: dict[int, User]  # supplier party id -> its demo user


@dataclass(frozen=True)
class _Premises:
    payment_mode: str
    load_management: str
    no_wan: bool


@dataclass(frozen=True)
class _Parties:
    electricity: Party
    gas: Party
    changed_supplier: bool
    installer: Party
    distributor: Party
    mpan_prefix: str
    transporter: Party


class EstatePlanner:
    """Generates the SMS of an estate in order from one seeded random stream (pure: no database)."""

    def __init__(self, seed: int, catalogue: Catalogue) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.catalogue = catalogue

    def sms(self, index: int) -> PlannedSms:
        """The ``index``-th SMS of the estate. Each step draws from the one seeded stream in a fixed order, so
        the steps must run in this order (tests/inventory/test_demo_data_planner.py pins the output)."""
        status, region, smets1, facts = self._shape(index)
        smets = SmetsVersion.SMETS1 if smets1 else SmetsVersion.SMETS2_PLUS
        geo = self._geography(region)
        premises = self._premises(facts)
        gas, wants = self._wanted_devices(facts, smets1, premises)
        parties = self._parties(status, facts, geo)
        commissioned, created_at = self._dates(status, smets1)
        serial_base = self.seed * 10**7 + index
        devices = [
            self._device(slot, device_type, status, smets, parties, serial_base, commissioned, created_at)
            for slot, device_type in enumerate(SLOTS) if wants[device_type]
        ]
        plan = PlannedSms(
            index=index, devices=devices, uprn=f"{10**11 + serial_base}",
            postcode=_postcode(self.rng, geo), address=f"{self.rng.randint(1, 240)} {self.rng.choice(STREETS)}",
            csp_region=CSPRegion.SMETS1 if smets1 else region, payment_mode=premises.payment_mode,
            load_management=premises.load_management, no_wan=premises.no_wan,
        )
        eligible = (not smets1 and status == DeviceStatus.COMMISSIONED and premises.payment_mode == PaymentMode.CREDIT
                    and premises.load_management == LoadManagement.NONE and not premises.no_wan)
        if eligible:
            self._restrict(plan, facts, gas, commissioned)
        return plan

    def _shape(self, index: int) -> tuple[str, str | None, bool, dict]:
        """Status, CSP region (``None`` for SMETS1), SMETS1 or not, and the showcase facts of the SMS."""
        if index < len(SHOWCASE):
            status, region, facts = SHOWCASE[index]
            return status, region, region is None, facts
        rng = self.rng
        status = _weighted(rng, STATUS_WEIGHTS)
        smets1 = rng.random() < 0.15
        region = None if smets1 else _weighted(rng, SMETS2_REGIONS)
        if status == DeviceStatus.PENDING and not smets1 and rng.random() < 0.5:
            region = CSPRegion.UNKNOWN
        return status, region, smets1, {}

    def _geography(self, region: str | None) -> str:
        """Where the premises are: the region's own geography, or a random one for SMETS1 and Unknown."""
        if region not in (None, CSPRegion.UNKNOWN):
            return region.replace("4G ", "")
        return self.rng.choice(list(GEOGRAPHY))

    def _premises(self, facts: dict) -> _Premises:
        rng = self.rng
        payment_mode = facts.get("payment_mode") or (
            PaymentMode.PREPAYMENT if rng.random() < 0.15 else PaymentMode.CREDIT)
        load_management = facts.get("load_management") or _weighted(rng, [
            (LoadManagement.NONE, 90), (LoadManagement.ECONOMY_7, 7), (LoadManagement.LOAD_MANAGED, 2),
            (LoadManagement.RADIO_TELESWITCH, 1)])
        no_wan_draw = rng.random() < 0.005  # drawn even when the facts decide, as it always was
        return _Premises(payment_mode, load_management, facts.get("network_managed_no_wan", no_wan_draw))

    def _wanted_devices(self, facts: dict, smets1: bool, premises: _Premises) -> tuple[bool, dict[str, bool]]:
        """Whether the premises have gas, and which device slots the SMS fills."""
        rng = self.rng
        everything = facts.get("all_devices", False)
        gas = everything or rng.random() < 0.75
        prepayment = premises.payment_mode == PaymentMode.PREPAYMENT
        wants = {DeviceType.CHF: True, DeviceType.ESME: True, DeviceType.GPF: gas, DeviceType.GSME: gas}
        wants[DeviceType.PPMID] = self._ppmid_wanted(everything, facts, prepayment)
        wants[DeviceType.IHD] = everything or rng.random() < 0.7
        wants[DeviceType.HCALCS] = not smets1 and (everything or facts.get("hcalcs") or (
            premises.load_management == LoadManagement.LOAD_MANAGED and rng.random() < 0.5))
        wants[DeviceType.CAD] = not smets1 and (everything or facts.get("cad") or rng.random() < 0.04)
        return gas, wants

    def _ppmid_wanted(self, everything: bool, facts: dict, prepayment: bool) -> bool:
        return bool(everything or facts.get("ppmid") or self.rng.random() < (0.6 if prepayment else 0.08))

    def _parties(self, status: str, facts: dict, geo: str) -> _Parties:
        """The electricity and gas suppliers, the installer (a different supplier after a change of supplier
        before commissioning), the distributor with its MPAN prefix, and the gas transporter."""
        rng, catalogue = self.rng, self.catalogue
        electricity = _weighted(rng, list(zip(catalogue.suppliers, SUPPLIER_WEIGHTS, strict=True)))
        if electricity in catalogue.gas_suppliers and rng.random() < 0.8:
            gas_supplier = electricity
        else:
            gas_supplier = rng.choice(catalogue.gas_suppliers)
        changed_supplier = status in NOT_YET_COMMISSIONED and (facts.get("changed_supplier") or rng.random() < 0.5)
        installer = rng.choice([s for s in catalogue.suppliers if s != electricity]) if changed_supplier else electricity
        distributor, mpan_prefix = catalogue.distributors[geo]
        return _Parties(electricity, gas_supplier, bool(changed_supplier), installer, distributor, mpan_prefix,
                        catalogue.transporters[geo])

    def _dates(self, status: str, smets1: bool) -> tuple[datetime.date | None, datetime.datetime]:
        """When the SMS was commissioned (``None`` if not yet) and when its devices were added."""
        rng = self.rng
        if status in NOT_YET_COMMISSIONED:
            commissioned = None
            created = _random_date(rng, datetime.date(2026, 1, 1), END)
        else:
            commissioned = _random_date(rng, SMETS1_START if smets1 else START, datetime.date(2026, 6, 30))
            created = commissioned - datetime.timedelta(days=rng.randint(1, 60))
        created_at = datetime.datetime.combine(created, datetime.time(9, 0), tzinfo=UTC) + datetime.timedelta(
            minutes=rng.randint(0, 480))
        return commissioned, created_at

    def _device(self, slot: int, device_type: str, status: str, smets: str, parties: _Parties, serial_base: int,
                commissioned: datetime.date | None, created_at: datetime.datetime) -> PlannedDevice:
        is_gas = device_type in (DeviceType.GPF, DeviceType.GSME)
        supplier = parties.gas if is_gas else parties.electricity
        mpxn = ""
        if device_type == DeviceType.ESME:
            mpxn = f"{parties.mpan_prefix}{serial_base % 10**11:011d}"
        elif device_type == DeviceType.GSME:
            mpxn = f"{7 * 10**9 + serial_base % 10**9}"
        return PlannedDevice(
            slot=slot, device_type=device_type, status=status, smets_version=smets,
            cpl_entry_id=self._cpl_row(device_type, smets), mpxn=mpxn,
            responsible_supplier_id=supplier.pk,
            prenotifying_supplier_id=(parties.installer.pk if parties.changed_supplier and not is_gas else supplier.pk),
            network_operator_id=(parties.transporter if is_gas else parties.distributor).pk,
            date_commissioned=commissioned, created_at=created_at,
        )

    def _restrict(self, plan: PlannedSms, facts: dict, gas: bool, commissioned: datetime.date) -> None:
        """About 1% of eligible credit meters are Restricted (MP169): the ESME, or the GSME with its GPF."""
        rng = self.rng
        restrict_electricity = facts.get("restrict_electricity", rng.random() < RESTRICTION_RATE)
        restrict_gas = gas and facts.get("restrict_gas", rng.random() < RESTRICTION_RATE)
        since = _random_date(rng, commissioned + datetime.timedelta(days=1), END)
        since_at = datetime.datetime.combine(since, datetime.time(10, 0), tzinfo=UTC) + datetime.timedelta(
            minutes=rng.randint(0, 420))
        reason = rng.choice(RESTRICTION_REASONS)
        by_type = {device.device_type: device for device in plan.devices}
        for device_type, wanted in ((DeviceType.ESME, restrict_electricity), (DeviceType.GSME, restrict_gas),
                                    (DeviceType.GPF, restrict_gas)):
            if wanted:
                by_type[device_type].restricted_since = since_at
                plan.restriction_reasons[by_type[device_type].slot] = reason

    def _cpl_row(self, device_type: str, smets: str) -> int:
        models = self.catalogue.cpl[(device_type, smets)]
        row_ids, weights = models[self.rng.randrange(len(models))]
        return self.rng.choices(row_ids, weights)[0]


def _weighted(rng: random.Random, options):
    values, weights = zip(*options, strict=True)
    return rng.choices(values, weights)[0]


def _random_date(rng: random.Random, start: datetime.date, end: datetime.date) -> datetime.date:
    if end <= start:
        return start
    return start + datetime.timedelta(days=rng.randint(0, (end - start).days))


def _postcode(rng: random.Random, geo: str) -> str:
    letters = rng.choice(POSTCODE_LETTERS) + rng.choice(POSTCODE_LETTERS)
    return f"{rng.choice(GEOGRAPHY[geo])}{rng.randint(1, 28)} {rng.randint(0, 9)}{letters}"


class ProgressBar:
    def __init__(self, stream: OutputWrapper, total: int) -> None:
        self.stream, self.total, self.started = stream, max(total, 1), time.monotonic()

    def show(self, done: int) -> None:
        share = min(done / self.total, 1)
        bar = "#" * int(share * 30)
        elapsed = time.monotonic() - self.started
        self.stream.write(f"\r[{bar:<30}] {share:4.0%} {done:,}/{self.total:,} devices, {elapsed:.0f}s", ending="")
        self.stream.flush()

    def finish(self) -> None:
        self.stream.write("")
        self.stream.flush()


class Command(BaseCommand):
    help = "Create a realistic demo estate (parties, logins, CPL, devices). Idempotent for the same seed."

    def add_arguments(self, parser):
        parser.add_argument("--devices", type=int, default=5000, help="number of devices in the estate")
        parser.add_argument("--seed", type=int, default=1, help="0-255; the same seed gives the same estate")
        parser.add_argument("--batch", type=int, default=20000, help="devices per COPY transaction")

    def handle(self, *args, devices: int, seed: int, batch: int, **options):
        if not 0 <= seed <= 255:
            raise CommandError("--seed must be from 0 to 255 (it is part of every demo Device ID).")
        if not 0 <= devices <= 100_000_000:
            raise CommandError("--devices must be from 0 to 100,000,000.")
        started = time.monotonic()
        self.stderr.style_func = None  # the progress bar is not an error
        with transaction.atomic():
            logins = ensure_parties_and_logins()
            catalogue = build_catalogue()
        if devices >= FRESH_LOAD_MIN_DEVICES and not Device.objects.exists():
            # A fresh estate: one transaction, the device table's secondary indexes and foreign keys dropped
            # for the load and built once after it (PostgreSQL's own advice for a bulk load), then ANALYZE.
            with transaction.atomic(), deferred_indexes(Device._meta.db_table):
                inserted, restricted = self.generate(seed=seed, total=devices, batch=max(batch, 100),
                                                     catalogue=catalogue)
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {Device._meta.db_table}")
        else:
            inserted, restricted = self.generate(seed=seed, total=devices, batch=max(batch, 100), catalogue=catalogue)
        elapsed = time.monotonic() - started
        if inserted:
            self.stdout.write(f"Inserted {inserted:,} devices ({restricted:,} Restricted) for seed {seed} "
                              f"in {elapsed:.1f}s.")
        else:
            self.stdout.write(f"The demo estate for seed {seed} with {devices:,} devices is already complete: "
                              f"nothing to add.")
        self.stdout.write("\nDemo logins (password for all: " + DEMO_PASSWORD + "):")
        for username, description in logins:
            self.stdout.write(f"  {username:<12} {description}")

    def generate(self, *, seed: int, total: int, batch: int, catalogue: Catalogue) -> tuple[int, int]:
        """Insert the devices of the estate that are not there yet; return (devices, restricted) inserted."""
        last_present = (
            Device.objects.filter(device_id__gte=device_id_for(seed, 0), device_id__lte=device_id_for(seed, MAX_SERIAL))
            .order_by("-device_id").values_list("device_id", flat=True).first()
        )
        resume_index = serial_of(last_present) // SLOTS_PER_SMS if last_present else -1
        planner = EstatePlanner(seed, catalogue)
        progress = ProgressBar(self.stderr, total)
        pending: list[tuple[PlannedSms, list[PlannedDevice]]] = []
        pending_count = planned = inserted = restricted = 0
        index = 0
        while planned < total:
            plan = planner.sms(index)
            take = plan.devices[: total - planned]
            planned += len(take)
            if index >= resume_index:
                if len(take) < len(plan.devices) or index == resume_index:
                    # An SMS split across runs carries no restriction: its halves would not agree.
                    plan.restriction_reasons.clear()
                    for device in take:
                        device.restricted_since = None
                pending.append((plan, take))
                pending_count += len(take)
            if pending_count >= batch:
                counts = self.insert(seed, pending, catalogue, resume_index)
                inserted, restricted = inserted + counts[0], restricted + counts[1]
                pending, pending_count = [], 0
                progress.show(planned)
            index += 1
        if pending:
            counts = self.insert(seed, pending, catalogue, resume_index)
            inserted, restricted = inserted + counts[0], restricted + counts[1]
        progress.show(planned)
        progress.finish()
        return inserted, restricted

    @transaction.atomic
    def insert(self, seed: int, batch: list[tuple[PlannedSms, list[PlannedDevice]]], catalogue: Catalogue,
               resume_index: int) -> tuple[int, int]:
        """COPY one batch of SMS into the inventory, with the audit rows of its restrictions."""
        present: dict[str, int] = {}
        if batch[0][0].index == resume_index:
            sms = batch[0][0]
            ids = [device_id_for(seed, sms.index * SLOTS_PER_SMS + d.slot) for d in sms.devices]
            present = dict(Device.objects.filter(device_id__in=ids).values_list("device_id", "pk"))
        new_count = sum(len(take) for _plan, take in batch)
        if present:
            sms, take = batch[0]
            new_count -= sum(device_id_for(seed, sms.index * SLOTS_PER_SMS + d.slot) in present for d in take)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence('inventory_device', 'id')) FROM generate_series(1, %s)",
                [new_count],
            )
            new_ids = iter(row[0] for row in cursor.fetchall())
            restricted: list[tuple[int, PlannedSms, PlannedDevice]] = []
            columns = ", ".join(DEVICE_COLUMNS)
            with cursor.cursor.copy(f"COPY inventory_device ({columns}) FROM STDIN") as copy:
                for plan, take in batch:
                    hub_pk = None
                    for device in take:
                        device_id = device_id_for(seed, plan.index * SLOTS_PER_SMS + device.slot)
                        if device_id in present:
                            pk = present[device_id]
                        else:
                            pk = next(new_ids)
                            copy.write_row(self._row(pk, device_id, device, plan, hub_pk))
                            if device.restricted_since:
                                restricted.append((pk, plan, device))
                        if device.device_type == DeviceType.CHF:
                            hub_pk = pk
        self._audit(restricted, catalogue)
        return new_count, len(restricted)

    @staticmethod
    def _row(pk: int, device_id: str, device: PlannedDevice, plan: PlannedSms, hub_pk: int | None) -> tuple:
        return (
            pk, device_id, device.device_type, device.status, device.smets_version, device.cpl_entry_id,
            hub_pk if device.device_type != DeviceType.CHF else None, device.mpxn, plan.uprn, plan.postcode,
            plan.address, plan.csp_region, device.responsible_supplier_id, device.prenotifying_supplier_id,
            device.network_operator_id, plan.payment_mode, plan.load_management, plan.no_wan,
            device.date_commissioned, device.restricted_since is not None, device.restricted_since,
            device.created_at, device.created_at,
        )

    @staticmethod
    def _audit(restricted: list[tuple[int, PlannedSms, PlannedDevice]], catalogue: Catalogue) -> None:
        """One ``RestrictionChange`` per restricted device, set on the web form by the supplier's demo user;
        a GPF's change is cascaded from its GSME's (R169-1, R169-4)."""
        def change(pk: int, plan: PlannedSms, device: PlannedDevice, cascaded_from=None) -> RestrictionChange:
            return RestrictionChange(
                device_id=pk, at=device.restricted_since, actor=catalogue.actors[device.responsible_supplier_id],
                party_id=device.responsible_supplier_id, old_value=False, new_value=True,
                reason=plan.restriction_reasons[device.slot], attested=True, channel=RestrictionChannel.WEB,
                cascaded_from=cascaded_from,
            )

        primary = [(pk, plan, d) for pk, plan, d in restricted if d.device_type != DeviceType.GPF]
        changes = RestrictionChange.objects.bulk_create([change(*entry) for entry in primary])
        gsme_change = {plan.index: made for (_pk, plan, d), made in zip(primary, changes, strict=True)
                       if d.device_type == DeviceType.GSME}
        RestrictionChange.objects.bulk_create([
            change(pk, plan, d, cascaded_from=gsme_change.get(plan.index))
            for pk, plan, d in restricted if d.device_type == DeviceType.GPF
        ])


#: From this many devices into an empty inventory, indexes are built after the load (below it the
#: per-batch transactions, resumable after an interruption, are kept: a small load is quick either way).
FRESH_LOAD_MIN_DEVICES = 50_000

_SECONDARY_INDEXES = """
SELECT index.relname, pg_get_indexdef(index.oid)
FROM pg_index entry JOIN pg_class index ON index.oid = entry.indexrelid
WHERE entry.indrelid = %s::regclass
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = entry.indexrelid)
ORDER BY 1
"""
_FOREIGN_KEYS = """
SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY 1
"""


@contextlib.contextmanager
def deferred_indexes(table: str) -> Iterator[None]:
    """Inside a transaction: drop ``table``'s indexes that back no constraint and its foreign keys, run the
    block (the load), then create them again from their stored definitions (the foreign keys are validated
    in one pass each instead of a trigger call per row). A failed load rolls the drops back with it."""
    quoted = connection.ops.quote_name(table)
    with connection.cursor() as cursor:
        cursor.execute(_SECONDARY_INDEXES, [table])
        indexes = cursor.fetchall()
        cursor.execute(_FOREIGN_KEYS, [table])
        foreign_keys = cursor.fetchall()
        for name, _definition in foreign_keys:
            cursor.execute(f"ALTER TABLE {quoted} DROP CONSTRAINT {connection.ops.quote_name(name)}")
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    yield
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for _name, definition in indexes:
            cursor.execute(definition)
        for name, definition in foreign_keys:
            cursor.execute(f"ALTER TABLE {quoted} ADD CONSTRAINT {connection.ops.quote_name(name)} {definition}")


def ensure_parties_and_logins() -> list[tuple[str, str]]:
    """Create the demo parties and one login per role (kept as they are when present)."""
    logins: list[tuple[str, str]] = []
    password_hash = make_password(DEMO_PASSWORD)  # hashed once: the demo's logins share one password

    def party(code: str, name: str, roles: list[str]) -> Party:
        found, _created = Party.objects.get_or_create(code=code, defaults={
            "name": name, "roles": roles,
            "operational_email": f"operations@{code.lower()}.example",
            "escalation_email": f"escalations@{code.lower()}.example",
        })
        return found

    def login(found: Party, username: str) -> None:
        user, created = User.objects.get_or_create(username=username, defaults={
            "party": found, "email": f"{username}@{found.code.lower()}.example"})
        if created:
            user.password = password_hash
            user.save(update_fields=["password"])
        logins.append((username, f"{found.name} ({found.code}: {found.role_label})"))

    for code, name, roles, username in SUPPLIERS:
        login(party(code, name, roles), username)
    for code, name, _region, username, _prefix in ELECTRICITY_DISTRIBUTORS:
        login(party(code, name, ["ED"]), username)
    for code, name, _regions, username in GAS_TRANSPORTERS:
        login(party(code, name, ["GT"]), username)
    for code, name, roles, username in OTHER_PARTIES:
        login(party(code, name, roles), username)
    for code, username in CORE_LOGINS:
        core = Party.objects.get(code=code)
        # CSPs fall back to email in the demo (no HTTP endpoint to reach); every party has contacts.
        Party.objects.filter(pk=core.pk).update(
            notification_endpoint="",
            operational_email=core.operational_email or f"{code.lower()}-ops@dcc.example",
            escalation_email=core.escalation_email or f"{code.lower()}-escalations@dcc.example",
        )
        login(core, username)
    if not User.objects.filter(username="admin").exists():
        User.objects.create_superuser("admin", "admin@dcc.example", password=None)
        User.objects.filter(username="admin").update(password=password_hash)
    logins.append(("admin", "Django superuser (/admin/), no party"))
    return logins


def build_catalogue() -> Catalogue:
    """Ensure the CPL rows exist and gather what the planner draws from."""
    cpl: dict[tuple[str, str], list[tuple[list[int], list[int]]]] = {}
    for device_type, manufacturer, model, hardware, smets_versions, firmwares in CPL_MODELS:
        for smets in smets_versions:
            row_ids = []
            for firmware, status in firmwares:
                entry, _created = CPLEntry.objects.get_or_create(
                    manufacturer=manufacturer, model=model, hardware_version=hardware, firmware_version=firmware,
                    smets_version=smets, defaults={"device_type": device_type, "status": status,
                                                   "added_on": datetime.date(2017, 1, 1)},
                )
                row_ids.append(entry.pk)
            cpl.setdefault((device_type, smets), []).append((row_ids, FIRMWARE_WEIGHTS[len(row_ids)]))
    parties = {p.code: p for p in Party.objects.all()}
    distributors = {region: (parties[code], prefix) for code, _n, region, _u, prefix in ELECTRICITY_DISTRIBUTORS}
    transporters = {region: parties[code] for code, _n, regions, _u in GAS_TRANSPORTERS for region in regions}
    suppliers = [parties[code] for code, *_rest in SUPPLIERS]
    actors = {user.party_id: user for user in User.objects.filter(username__in=[s[3] for s in SUPPLIERS])}
    return Catalogue(
        suppliers=suppliers, gas_suppliers=[p for p in suppliers if "GS" in p.roles],
        distributors=distributors, transporters=transporters, cpl=cpl, actors=actors,
    )
