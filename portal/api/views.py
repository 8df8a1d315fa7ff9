from rest_framework import generics

from portal.api.serializers import PartySerializer
from portal.selectors import party_list


class PartyListView(generics.ListAPIView):
    """SEC parties, the DCC service desk (code ``DCC``) and the CSPs."""

    serializer_class = PartySerializer
    keyset_field = "id"

    def get_queryset(self):
        return party_list()
