from django.urls import path

from reporting import views

app_name = "reporting"
urlpatterns = [
    path("", views.report_index, name="report-index"),
    path("jobs/<int:job_id>/", views.report_job, name="report-job"),
    path("<slug:slug>/csv/", views.report_csv, name="report-csv"),
    path("restricted-firmware/", views.report_page, {"slug": "restricted-firmware"}, name="firmware"),
    path("<slug:slug>/", views.report_latest, name="report-latest"),
    path("<slug:slug>/<str:month>/", views.report_page, name="report-month"),
    path("<slug:slug>/<str:month>/rebuild/", views.report_rebuild, name="report-rebuild"),
]
