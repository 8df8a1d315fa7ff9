from django.urls import path

from inventory.api import views

urlpatterns = [
    path("devices/", views.DeviceListView.as_view(), name="api-device-list"),
    # Before the detail route: "extract" is not a Device ID.
    path("devices/extract/", views.DeviceExtractView.as_view(), name="api-device-extract"),
    path("devices/<str:device_id>/", views.DeviceDetailView.as_view(), name="api-device-detail"),
]
