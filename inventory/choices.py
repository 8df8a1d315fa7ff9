"""Inventory enumerations. Values mirror the DUIS 5.4 schema enumerations exactly."""
from django.db import models


class DeviceType(models.TextChoices):
    ESME = "ESME", "Electricity Smart Metering Equipment"
    GSME = "GSME", "Gas Smart Metering Equipment"
    GPF = "GPF", "Gas Proxy Function"
    CHF = "CHF", "Communications Hub Function"
    HCALCS = "HCALCS", "HAN Connected Auxiliary Load Control Switch"
    PPMID = "PPMID", "Pre-Payment Interface Device"
    IHD = "IHD", "In-Home Display"
    CAD = "CAD", "Consumer Access Device"


class DeviceStatus(models.TextChoices):
    PENDING = "Pending", "Pending"
    WHITELISTED = "Whitelisted", "Whitelisted"
    INSTALLED_NOT_COMMISSIONED = "InstalledNotCommissioned", "Installed not commissioned"
    COMMISSIONED = "Commissioned", "Commissioned"
    DECOMMISSIONED = "Decommissioned", "Decommissioned"
    WITHDRAWN = "Withdrawn", "Withdrawn"
    SUSPENDED = "Suspended", "Suspended"
    RECOVERY = "Recovery", "Recovery"
    RECOVERED = "Recovered", "Recovered"


class SmetsVersion(models.TextChoices):
    SMETS1 = "SMETS1", "SMETS1"
    SMETS2_PLUS = "SMETS2+", "SMETS2+"


class CSPRegion(models.TextChoices):
    NORTH = "North", "North"
    CENTRAL = "Central", "Central"
    SOUTH = "South", "South"
    NORTH_4G = "4G North", "4G North"
    CENTRAL_4G = "4G Central", "4G Central"
    SOUTH_4G = "4G South", "4G South"
    UNKNOWN = "Unknown", "Unknown"
    SMETS1 = "SMETS1", "SMETS1"


#: The CSP (North, Central or South) that runs a region's hubs: 4G regions belong to the same CSP.
CSP_FOR_REGION = {
    CSPRegion.NORTH: CSPRegion.NORTH, CSPRegion.NORTH_4G: CSPRegion.NORTH,
    CSPRegion.CENTRAL: CSPRegion.CENTRAL, CSPRegion.CENTRAL_4G: CSPRegion.CENTRAL,
    CSPRegion.SOUTH: CSPRegion.SOUTH, CSPRegion.SOUTH_4G: CSPRegion.SOUTH,
}


class CPLStatus(models.TextChoices):
    ACTIVE = "Active", "Active"
    CANCELLED = "Cancelled", "Cancelled"
    EXPIRED = "Expired", "Expired"
    WITHDRAWN = "Withdrawn", "Withdrawn"


class PaymentMode(models.TextChoices):
    CREDIT = "Credit", "Credit"
    PREPAYMENT = "Prepayment", "Prepayment"


class LoadManagement(models.TextChoices):
    """Tariff or load-control arrangements at the supply point (MP169 excludes all but NONE)."""

    NONE = "None", "None"
    ECONOMY_7 = "Economy7", "Economy 7 / multi-rate"
    LOAD_MANAGED = "LoadManaged", "Load-managed"
    RADIO_TELESWITCH = "RadioTeleswitch", "Radio Teleswitch"


class RestrictionChannel(models.TextChoices):
    """How a Restricted change reached ``restriction_set`` (R169-4 records the channel).

    ``DUIS`` is never recorded today: DUIS 5.4 has no request that sets or clears Restricted (seed 000
    puts that in the SSI/SSMI, "a mechanism via the Self Service Interface ... whereby a supplier can set
    (or clear) 'Restricted' mode"); DUIS only reads the flag (8.2 Read Inventory) and refuses with E72.
    The value stays for R169-4's list of channels, so a DUIS request that sets it can be added without a
    migration.
    """

    WEB = "web", "SSMI web form"
    API = "api", "REST API"
    BULK = "bulk", "Bulk CSV upload"
    BULK_API = "bulk_api", "REST bulk"
    DUIS = "duis", "DUIS"
    #: The flag moved with its SMS to a new hub's GPF (R169-12): no user set or cleared it.
    HUB_REPLACEMENT = "hub_swap", "Hub replacement"
