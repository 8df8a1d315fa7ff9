"""Gateway REST bodies (docs/API.md, Gateway). Only shapes here: the rules are in ``gateway.services``."""
from rest_framework import serializers


class ServiceRequestSerializer(serializers.Serializer):
    srv = serializers.CharField(max_length=20, help_text="Service Reference Variant, e.g. 4.1.1.")
    device_id = serializers.CharField(
        max_length=40, required=False, allow_blank=True,
        help_text="EUI-64 of the target device (required for SRVs addressed to a device).",
    )
    command_variant = serializers.IntegerField(help_text="DUIS command variant, 1 to 8.")
    scheduled_srv = serializers.CharField(
        max_length=20, required=False, allow_blank=True,
        help_text="For 5.1 Create Schedule: the device SRV to schedule on device_id.",
    )
    payment_mode = serializers.ChoiceField(
        choices=["Credit", "Prepayment"], required=False,
        help_text="For 1.6 Update Payment Mode: the mode to switch to (a restricted meter is refused Prepayment, E72).",
    )

    def validate(self, attrs: dict) -> dict:
        if str(attrs.get("srv", "")).strip() == "1.6" and not attrs.get("payment_mode"):
            raise serializers.ValidationError({"payment_mode": ["SRV 1.6 needs the mode to switch to: Credit or "
                                                                "Prepayment."]})
        return attrs


class ServiceRequestResultSerializer(serializers.Serializer):
    request_id = serializers.CharField()
    response_code = serializers.CharField(help_text="DUIS response code: I0, I99, E2, E5, E12, E19, E72 ...")
    detail = serializers.CharField()


class AlertSerializer(serializers.Serializer):
    device_id = serializers.CharField(max_length=40)
    alert_code = serializers.CharField(max_length=12, help_text="GBCS alert code in hex, e.g. 8F3E.")


class AlertResultSerializer(serializers.Serializer):
    delivered = serializers.BooleanField()
    log = serializers.ChoiceField(choices=["sat", "diagnostics"])


class DuisIdentityRegisterSerializer(serializers.Serializer):
    user_id = serializers.CharField(max_length=40, help_text="The DUIS User ID (EUI-64), e.g. 90-B3-D5-1F-30-01-00-00.")
    role = serializers.CharField(max_length=3, help_text="The DUIS User Role it acts in: IS, ES, GS, ED, GT, OU, RSA.")
    certificate_pem = serializers.CharField(
        max_length=20000, trim_whitespace=False,
        help_text="The XML-signing certificate (PEM) whose subject x500UniqueIdentifier is the User ID.")
    reason = serializers.CharField(max_length=250, required=False, allow_blank=True)


class DuisIdentityRevokeSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=250, required=False, allow_blank=True)


class DuisIdentitySerializer(serializers.Serializer):
    user_id = serializers.CharField()
    role = serializers.CharField()
    certificate_pem = serializers.CharField()
    serial = serializers.CharField(help_text="Certificate serial number, decimal (as X509SerialNumber).")
    issuer = serializers.CharField()
    not_before = serializers.DateTimeField()
    not_after = serializers.DateTimeField()
    active = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    revoked_at = serializers.DateTimeField(allow_null=True)
