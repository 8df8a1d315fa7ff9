from rest_framework import serializers

from portal.models import Party


class PartySerializer(serializers.ModelSerializer):
    roles = serializers.ListField(child=serializers.CharField(), help_text="DUIS role codes, DCC or CSP.")

    class Meta:
        model = Party
        fields = ["id", "code", "name", "roles"]
