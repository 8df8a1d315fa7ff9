"""Enumerations for incidents (MP121 install-code requests first; more types later)."""
from django.db import models


class IncidentType(models.TextChoices):
    INSTALL_CODE_REQUEST = "install_code_request", "Request for Install Code"


class IncidentState(models.TextChoices):
    """``new``: raised and waiting in the DCC service desk queue (no installing supplier known);
    ``assigned``: with a supplier to answer; ``responded``: an install code was supplied;
    ``not_installing_supplier``: the assignee said it did not install the device, so the incident is
    back with the service desk to reassign; ``closed``: by the raiser, or administratively by DCC."""

    NEW = "new", "New (service desk queue)"
    ASSIGNED = "assigned", "Assigned"
    RESPONDED = "responded", "Responded"
    NOT_INSTALLING_SUPPLIER = "not_installing_supplier", "Not the installing supplier"
    CLOSED = "closed", "Closed"


OPEN_STATES = (
    IncidentState.NEW, IncidentState.ASSIGNED, IncidentState.RESPONDED, IncidentState.NOT_INSTALLING_SUPPLIER,
)
#: States where the assignee still owes a response: the SLA clock runs (R121-7).
AWAITING_RESPONSE_STATES = (IncidentState.NEW, IncidentState.ASSIGNED)


class ClosureKind(models.TextChoices):
    BY_RAISER = "by_raiser", "Closed by the raising party"
    ADMINISTRATIVE = "administrative", "Closed administratively by the DCC service desk"
    #: R121-11: the device changed supplier again while the request was open (docs/mp121-suppliers.md).
    CHANGE_OF_SUPPLIER = "change_of_supplier", "Closed: the device changed supplier again"


class IncidentChannel(models.TextChoices):
    WEB = "web", "SSI web form"
    API = "api", "REST API"
    BULK_WEB = "bulk_web", "Bulk CSV upload"
    BULK_API = "bulk_api", "Bulk REST API"


class IncidentEventKind(models.TextChoices):
    CREATED = "created", "Raised"
    ASSIGNED = "assigned", "Assigned"
    NOTE = "note", "Note added"
    CODE_ADDED = "code_added", "Install code supplied"
    NOT_INSTALLING = "not_installing", "Answered: not the installing supplier"
    REASSIGNED = "reassigned", "Reassigned by the service desk"
    CLOSED = "closed", "Closed"
    BREACHED = "breached", "Response due date passed (SLA breached)"
    ESCALATED = "escalated", "Escalated to the assignee's escalation contact"
    CODE_REVEALED = "code_revealed", "Install code revealed"
    CODE_FROM_DEPOSIT = "code_from_deposit", "Answered at once from a deposited install code"
    REOPENED = "reopened", "Reopened by the raising party"
    SUPPLIER_CHANGED = "supplier_changed", "The device changed supplier"


class SpellKind(models.TextChoices):
    """Why an SLA clock started (R121-10, R121-12, R121-13): each is reported as its own row."""

    RAISED = "raised", "Raised"
    REROUTED = "rerouted", "Rerouted by the service desk"
    REOPENED = "reopened", "Reopened"


class SpellOutcome(models.TextChoices):
    """How an SLA clock stopped. ``ended``: no answer came (reassigned, closed or change of supplier)."""

    CODE = "code", "Install code supplied"
    DEPOSIT = "deposit", "Answered at once from a deposit"
    NOT_INSTALLING = "not_installing", "Not the installing supplier"
    ENDED = "ended", "Ended without an answer"


#: R121-2: the SMETS2+ Type 1 Devices, the ones that join a HAN with an install code (seed 002 Annex B 4.9).
TYPE_1_DEVICE_TYPES = ("ESME", "GSME", "PPMID", "HCALCS")
