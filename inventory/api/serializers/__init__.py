"""Serializers of the REST inventory API, one module per sub-domain, re-exported here
(``from inventory.api.serializers import DeviceSerializer``). They only shape input and output.

- ``devices``: a device (list, detail with its SMS), pre-notify and join bodies, the MP202 device answer;
- ``cpl``: the Central Products List;
- ``restriction``: MP169 set or clear, history, bulk and bulk jobs.
"""
from inventory.api.serializers.cpl import CPLEntryAddSerializer, CPLEntrySerializer, CPLStatusSerializer
from inventory.api.serializers.csp_notices import (
    HubReplacementSerializer,
    HubReplaceRequestSerializer,
    NoticeAcknowledgeSerializer,
    RestrictionNoticeSerializer,
)
from inventory.api.serializers.devices import (
    DeviceDetailSerializer,
    DeviceJoinSerializer,
    DevicePrenotifySerializer,
    DeviceSerializer,
    Mp202DeviceSerializer,
    SmsMemberSerializer,
    SmsSerializer,
)
from inventory.api.serializers.restriction import (
    RestrictionBulkJobRequestSerializer,
    RestrictionBulkJobRowSerializer,
    RestrictionBulkJobSerializer,
    RestrictionBulkRequestSerializer,
    RestrictionBulkRowSerializer,
    RestrictionChangeSerializer,
    RestrictionRequestSerializer,
    RestrictionStateSerializer,
)

__all__ = [
    "CPLEntryAddSerializer", "CPLEntrySerializer", "CPLStatusSerializer",
    "HubReplaceRequestSerializer", "HubReplacementSerializer", "NoticeAcknowledgeSerializer",
    "RestrictionNoticeSerializer",
    "DeviceDetailSerializer", "DeviceJoinSerializer", "DevicePrenotifySerializer", "DeviceSerializer",
    "Mp202DeviceSerializer", "SmsMemberSerializer", "SmsSerializer",
    "RestrictionBulkJobRequestSerializer", "RestrictionBulkJobRowSerializer", "RestrictionBulkJobSerializer",
    "RestrictionBulkRequestSerializer", "RestrictionBulkRowSerializer", "RestrictionChangeSerializer",
    "RestrictionRequestSerializer", "RestrictionStateSerializer",
]
