from django.urls import path

from inventory import views, views_cpl, views_devices, views_extract, views_restriction

app_name = "inventory"
urlpatterns = [
    path("", views.device_list, name="device-list"),
    path("devices/<str:device_id>/", views.device_detail, name="device-detail"),
    path("cpl/", views_cpl.cpl_list, name="cpl-list"),
    path("cpl/add/", views_cpl.cpl_add, name="cpl-add"),
    path("cpl/<int:entry_id>/status/", views_cpl.cpl_set_status, name="cpl-set-status"),
    path("prenotify/", views_devices.device_prenotify_view, name="device-prenotify"),
    path("devices/<str:device_id>/join/", views_devices.device_join_view, name="device-join"),
    # MP169 Restricted mode
    path("devices/<str:device_id>/restriction/", views_restriction.restriction_device, name="restriction-device"),
    path("devices/<str:device_id>/restriction-history.csv", views_restriction.restriction_history_csv,
         name="restriction-history-csv"),
    path("devices/<str:device_id>/supplier-change/", views_restriction.supplier_change_view, name="supplier-change"),
    path("restrictions/bulk/", views_restriction.restriction_bulk, name="restriction-bulk"),
    path("restrictions/bulk/<int:job_id>/", views_restriction.restriction_bulk_job, name="restriction-bulk-job"),
    path("restrictions/bulk/<int:job_id>/results.csv", views_restriction.restriction_bulk_results_csv,
         name="restriction-bulk-results"),
    # Device extracts as background jobs
    path("extracts/", views_extract.extract_list, name="extract-list"),
    path("extracts/<int:job_id>/", views_extract.extract_job, name="extract-job"),
    path("extracts/<int:job_id>/download/", views_extract.extract_download, name="extract-download"),
]
