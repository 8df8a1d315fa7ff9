"""Reporting enumerations."""
from django.db import models


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


class RebuildStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
