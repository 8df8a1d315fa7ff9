from django.urls import path

from inventory.views import cpl, csp_notices, devices, extracts, hub_replacement, restriction, supplier_changes

app_name = "inventory"
urlpatterns = [
    path("", devices.device_list, name="device-list"),
    path("columns/", devices.device_list_columns, name="device-list-columns"),
    path("devices/<str:device_id>/", devices.device_detail, name="device-detail"),
    path("cpl/", cpl.cpl_list, name="cpl-list"),
    path("cpl/add/", cpl.cpl_add, name="cpl-add"),
    path("cpl/<int:entry_id>/status/", cpl.cpl_set_status, name="cpl-set-status"),
    path("prenotify/", devices.device_prenotify_view, name="device-prenotify"),
    path("devices/<str:device_id>/join/", devices.device_join_view, name="device-join"),
    path("devices/<str:device_id>/replace-hub/", hub_replacement.hub_replace_view, name="hub-replace"),
    # MP169 Restricted mode
    path("devices/<str:device_id>/restriction/", restriction.restriction_device, name="restriction-device"),
    path("devices/<str:device_id>/restriction/service-centre/", restriction.restriction_service_centre,
         name="restriction-service-centre"),
    path("devices/<str:device_id>/restriction-history.csv", restriction.restriction_history_csv,
         name="restriction-history-csv"),
    path("devices/<str:device_id>/supplier-change/", supplier_changes.supplier_change_view, name="supplier-change"),
    path("restrictions/bulk/", restriction.restriction_bulk, name="restriction-bulk"),
    path("restrictions/bulk/template.csv", restriction.restriction_bulk_template_csv, name="restriction-bulk-template"),
    path("restrictions/bulk/<int:job_id>/", restriction.restriction_bulk_job, name="restriction-bulk-job"),
    path("restrictions/bulk/<int:job_id>/confirm/", restriction.restriction_bulk_confirm,
         name="restriction-bulk-confirm"),
    path("restrictions/bulk/<int:job_id>/refused-rows.csv", restriction.restriction_bulk_refused_csv,
         name="restriction-bulk-refused"),
    path("restrictions/bulk/<int:job_id>/results.csv", restriction.restriction_bulk_results_csv,
         name="restriction-bulk-results"),
    # R169-17: the CSP's restriction notices
    path("restriction-notices/", csp_notices.notice_list, name="restriction-notices"),
    # Device extracts as background jobs
    path("extracts/", extracts.extract_list, name="extract-list"),
    path("extracts/<int:job_id>/", extracts.extract_job, name="extract-job"),
    path("extracts/<int:job_id>/download/", extracts.extract_download, name="extract-download"),
]
