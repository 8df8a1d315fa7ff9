"""Reporting enumerations."""
from django.db import models

from portal.choices import JobStatus


class ReportKind(models.TextChoices):
    PERFORMANCE = "performance", "Service request performance (R169-10)"
    INSTALL_CODE_SLA = "install_code_sla", "Install-code request SLA (R121-10)"
    RESTRICTED_FIRMWARE = "restricted_firmware", "Restricted devices behind on firmware (R169-11)"


#: URL slugs (pages and API) for each kind.
KIND_SLUGS = {
    ReportKind.PERFORMANCE: "performance",
    ReportKind.INSTALL_CODE_SLA: "install-code-sla",
    ReportKind.RESTRICTED_FIRMWARE: "restricted-firmware",
}
KIND_FOR_SLUG = {slug: kind for kind, slug in KIND_SLUGS.items()}


class SnapshotTrigger(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled (first working day of the month)"
    ON_DEMAND = "on_demand", "Rebuilt on demand by the DCC"


#: A rebuild is a ``portal.models.ProgressJob``: its states are the jobs' states (kept under this name for readers).
RebuildStatus = JobStatus
