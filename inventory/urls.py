from django.urls import path

from inventory import views, views_cpl, views_devices

app_name = "inventory"
urlpatterns = [
    path("", views.device_list, name="device-list"),
    path("devices/<str:device_id>/", views.device_detail, name="device-detail"),
    path("cpl/", views_cpl.cpl_list, name="cpl-list"),
    path("cpl/add/", views_cpl.cpl_add, name="cpl-add"),
    path("cpl/<int:entry_id>/status/", views_cpl.cpl_set_status, name="cpl-set-status"),
    path("prenotify/", views_devices.device_prenotify_view, name="device-prenotify"),
    path("devices/<str:device_id>/join/", views_devices.device_join_view, name="device-join"),
]
