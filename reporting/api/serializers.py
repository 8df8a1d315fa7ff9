"""Report shapes for the REST API (docs/API.md "Reports"); the OpenAPI schema is generated from them."""
from __future__ import annotations

from rest_framework import serializers


class ReportEnvelopeSerializer(serializers.Serializer):
    month = serializers.CharField(allow_null=True, help_text="YYYY-MM (UTC calendar month); null for a live list.")
    source = serializers.ChoiceField(
        choices=["snapshot", "live"], help_text="'snapshot': the stored monthly report; 'live': computed now.",
    )
    version = serializers.IntegerField(allow_null=True, help_text="The snapshot version (rebuilds add versions).")
    generated_at = serializers.DateTimeField(allow_null=True)
    rules = serializers.CharField(help_text="How the figures are counted.")


class PerformanceRowSerializer(serializers.Serializer):
    csp_region = serializers.CharField(help_text="CSP region at the request; empty for non-device SRVs.")
    srv_category = serializers.ChoiceField(choices=["consumption", "other_device", "non_device"])
    total = serializers.IntegerField(help_text="succeeded + failed (the CSP's measure).")
    succeeded = serializers.IntegerField()
    failed = serializers.IntegerField()
    excluded_restricted = serializers.IntegerField(
        help_text="Consumption requests to devices Restricted at the time of the request (R169-10), not measured.",
    )
    rejected_user_caused = serializers.IntegerField(help_text="E2/E5/E12/E19/E72 rejections, not measured.")
    success_rate = serializers.FloatField(allow_null=True, help_text="Percent, 2 decimals; null when total is 0.")


class PerformanceReportSerializer(ReportEnvelopeSerializer):
    rows = PerformanceRowSerializer(many=True)


class SlaRowSerializer(serializers.Serializer):
    installing_supplier = serializers.CharField(allow_null=True, help_text="Party code; null for the national row.")
    installing_supplier_name = serializers.CharField()
    national_total = serializers.BooleanField()
    requests = serializers.IntegerField(help_text="SLA clocks started in the month: raises, hops and reopenings.")
    raised = serializers.IntegerField()
    rerouted = serializers.IntegerField(help_text="Clocks restarted by a hop to another (former) supplier (R121-12).")
    reopened = serializers.IntegerField(help_text="Clocks restarted by the raiser reopening (R121-13).")
    counted = serializers.IntegerField(help_text="Answered in SLA + breached: what the rate is over.")
    answered_in_sla = serializers.IntegerField()
    breached = serializers.IntegerField()
    open_within_sla = serializers.IntegerField(help_text="Open, still inside the deadline: not counted in the rate.")
    ended_not_due = serializers.IntegerField(
        help_text="Ended unanswered before the due date (closed, rerouted, change of supplier): not counted.")
    answered_from_deposit = serializers.IntegerField(help_text="Answered at once from a deposited code.")
    in_sla_rate = serializers.FloatField(
        allow_null=True, help_text="Percent answered in SLA of the requests answered or past due (R121-10).")
    median_response_working_days = serializers.FloatField(allow_null=True)
    p90_response_working_days = serializers.FloatField(allow_null=True)
    median_reopened_response_working_days = serializers.FloatField(allow_null=True)


class SlaReportSerializer(ReportEnvelopeSerializer):
    rows = SlaRowSerializer(many=True)


class FirmwareGroupSerializer(serializers.Serializer):
    responsible_supplier = serializers.CharField(allow_null=True)
    responsible_supplier_name = serializers.CharField()
    devices = serializers.IntegerField()


class FirmwareDeviceSerializer(serializers.Serializer):
    device_id = serializers.CharField()
    device_type = serializers.CharField()
    manufacturer = serializers.CharField()
    model = serializers.CharField()
    hardware_version = serializers.CharField()
    smets_version = serializers.CharField()
    firmware_version = serializers.CharField()
    newest_firmware_version = serializers.CharField()
    responsible_supplier_code = serializers.CharField()
    csp_region = serializers.CharField()
    restricted_since = serializers.DateTimeField(allow_null=True)


class FirmwareReportSerializer(ReportEnvelopeSerializer):
    summary = FirmwareGroupSerializer(many=True, help_text="Devices behind, per responsible supplier.")
    next = serializers.URLField(allow_null=True)
    results = FirmwareDeviceSerializer(many=True, help_text="The devices, in Device ID order (keyset paginated).")
