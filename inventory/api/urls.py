from django.urls import path

from inventory.api import cpl_views, restriction_views, views

urlpatterns = [
    path("devices/", views.DeviceListView.as_view(), name="api-device-list"),
    # Before the detail route: "extract" is not a Device ID.
    path("devices/extract/", views.DeviceExtractView.as_view(), name="api-device-extract"),
    path("devices/prenotify/", cpl_views.DevicePrenotifyView.as_view(), name="api-device-prenotify"),
    path("devices/<str:device_id>/", views.DeviceDetailView.as_view(), name="api-device-detail"),
    # MP169 Restricted mode
    path("devices/restriction/bulk/", restriction_views.RestrictionBulkView.as_view(), name="api-restriction-bulk"),
    path("devices/restriction/bulk-jobs/", restriction_views.RestrictionBulkJobListView.as_view(),
         name="api-restriction-bulk-jobs"),
    path("devices/restriction/bulk-jobs/<int:job_id>/", restriction_views.RestrictionBulkJobDetailView.as_view(),
         name="api-restriction-bulk-job"),
    path("devices/restriction/bulk-jobs/<int:job_id>/results/",
         restriction_views.RestrictionBulkJobResultsView.as_view(), name="api-restriction-bulk-job-results"),
    path("devices/<str:device_id>/restriction/", restriction_views.DeviceRestrictionView.as_view(),
         name="api-device-restriction"),
    path("devices/<str:device_id>/restriction-history/", restriction_views.DeviceRestrictionHistoryView.as_view(),
         name="api-device-restriction-history"),
    # MP202 Dual-mode PPMIDs: the CPL, pre-notification, joining a hub
    path("cpl/", cpl_views.CPLEntryListView.as_view(), name="api-cpl-list"),
    path("cpl/<int:entry_id>/status/", cpl_views.CPLEntryStatusView.as_view(), name="api-cpl-status"),
    path("devices/<str:device_id>/join/", cpl_views.DeviceJoinView.as_view(), name="api-device-join"),
]
