from django.urls import path

from reporting.api import views

urlpatterns = [
    path("reports/performance/<str:month>/", views.PerformanceReportView.as_view(), name="api-report-performance"),
    path("reports/install-code-sla/<str:month>/", views.InstallCodeSlaReportView.as_view(),
         name="api-report-install-code-sla"),
    path("reports/restricted-firmware/", views.RestrictedFirmwareReportView.as_view(),
         name="api-report-restricted-firmware"),
]
