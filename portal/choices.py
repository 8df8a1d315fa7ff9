"""Enumerations shared across the portal. Values mirror DUIS role codes exactly."""
from django.db import models


class PartyRole(models.TextChoices):
    """SEC party roles (DUIS user role codes) plus the DCC service desk and the CSPs."""

    IMPORT_SUPPLIER = "IS", "Import Supplier"
    EXPORT_SUPPLIER = "ES", "Export Supplier"
    GAS_SUPPLIER = "GS", "Gas Supplier"
    ELECTRICITY_DISTRIBUTOR = "ED", "Electricity Distributor"
    GAS_TRANSPORTER = "GT", "Gas Transporter"
    OTHER_USER = "OU", "Other User"
    REGISTERED_SUPPLIER_AGENT = "RSA", "Registered Supplier Agent"
    DCC = "DCC", "DCC Service Desk"
    CSP = "CSP", "Communications Service Provider"


SUPPLIER_ROLES = frozenset({PartyRole.IMPORT_SUPPLIER, PartyRole.EXPORT_SUPPLIER, PartyRole.GAS_SUPPLIER})
NETWORK_OPERATOR_ROLES = frozenset({PartyRole.ELECTRICITY_DISTRIBUTOR, PartyRole.GAS_TRANSPORTER})


class OutboxKind(models.TextChoices):
    EMAIL = "email", "Email"
    CSP_NOTIFICATION = "csp_notification", "CSP notification"


class OutboxStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failing (will retry)"


class JobStatus(models.TextChoices):
    """Where a background job (bulk upload, extract, report rebuild) has got to."""

    #: A bulk upload that was checked (what it would do is shown) and awaits the user's confirmation.
    CHECKED = "checked", "Checked, not confirmed"
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
