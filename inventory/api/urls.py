from django.urls import path

from inventory.api.views import cpl, csp_notices, devices, restriction

urlpatterns = [
    path("devices/", devices.DeviceListView.as_view(), name="api-device-list"),
    # Before the detail route: "extract" is not a Device ID.
    path("devices/extract/", devices.DeviceExtractView.as_view(), name="api-device-extract"),
    path("devices/prenotify/", devices.DevicePrenotifyView.as_view(), name="api-device-prenotify"),
    path("devices/<str:device_id>/", devices.DeviceDetailView.as_view(), name="api-device-detail"),
    path("devices/<str:device_id>/replace-hub/", csp_notices.HubReplaceView.as_view(), name="api-hub-replace"),
    # MP169 Restricted mode
    path("devices/restriction/bulk/", restriction.RestrictionBulkView.as_view(), name="api-restriction-bulk"),
    path("devices/restriction/bulk-jobs/", restriction.RestrictionBulkJobListView.as_view(),
         name="api-restriction-bulk-jobs"),
    path("devices/restriction/bulk-jobs/<int:job_id>/", restriction.RestrictionBulkJobDetailView.as_view(),
         name="api-restriction-bulk-job"),
    path("devices/restriction/bulk-jobs/<int:job_id>/confirm/", restriction.RestrictionBulkJobConfirmView.as_view(),
         name="api-restriction-bulk-job-confirm"),
    path("devices/restriction/bulk-jobs/<int:job_id>/results/",
         restriction.RestrictionBulkJobResultsView.as_view(), name="api-restriction-bulk-job-results"),
    path("devices/<str:device_id>/restriction/", restriction.DeviceRestrictionView.as_view(),
         name="api-device-restriction"),
    path("devices/<str:device_id>/restriction/service-centre/", restriction.DeviceRestrictionServiceCentreView.as_view(),
         name="api-device-restriction-service-centre"),
    path("devices/<str:device_id>/restriction-history/", restriction.DeviceRestrictionHistoryView.as_view(),
         name="api-device-restriction-history"),
    # R169-17: the CSP's restriction notices
    path("restriction-notices/", csp_notices.RestrictionNoticeListView.as_view(), name="api-restriction-notices"),
    path("restriction-notices/acknowledge/", csp_notices.RestrictionNoticeAcknowledgeView.as_view(),
         name="api-restriction-notices-acknowledge"),
    path("restriction-notices/<int:notice_id>/acknowledge/", csp_notices.RestrictionNoticeAcknowledgeOneView.as_view(),
         name="api-restriction-notice-acknowledge"),
    # MP202 Dual-mode PPMIDs: the CPL, pre-notification, joining a hub
    path("cpl/", cpl.CPLEntryListView.as_view(), name="api-cpl-list"),
    path("cpl/<int:entry_id>/status/", cpl.CPLEntryStatusView.as_view(), name="api-cpl-status"),
    path("devices/<str:device_id>/join/", devices.DeviceJoinView.as_view(), name="api-device-join"),
]
