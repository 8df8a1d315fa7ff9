from django.urls import path

from inventory.api import restriction_views, views

urlpatterns = [
    path("devices/", views.DeviceListView.as_view(), name="api-device-list"),
    # Before the detail route: "extract" is not a Device ID.
    path("devices/extract/", views.DeviceExtractView.as_view(), name="api-device-extract"),
    path("devices/<str:device_id>/", views.DeviceDetailView.as_view(), name="api-device-detail"),
    # MP169 Restricted mode
    path("devices/restriction/bulk/", restriction_views.RestrictionBulkView.as_view(), name="api-restriction-bulk"),
    path("devices/<str:device_id>/restriction/", restriction_views.DeviceRestrictionView.as_view(),
         name="api-device-restriction"),
    path("devices/<str:device_id>/restriction-history/", restriction_views.DeviceRestrictionHistoryView.as_view(),
         name="api-device-restriction-history"),
]
