from django.urls import path

from incidents.api import views

urlpatterns = [
    path("incidents/", views.IncidentListView.as_view(), name="api-incident-list"),
    path("incidents/install-code-requests/", views.InstallCodeRequestCreateView.as_view(),
         name="api-install-code-request-create"),
    path("incidents/install-code-requests/bulk/", views.InstallCodeRequestBulkView.as_view(),
         name="api-install-code-request-bulk"),
    path("incidents/install-code-requests/bulk-jobs/<int:job_id>/", views.InstallCodeRequestBulkJobView.as_view(),
         name="api-install-code-request-bulk-job"),
    path("incidents/install-code-requests/bulk-jobs/<int:job_id>/confirm/",
         views.InstallCodeRequestBulkJobConfirmView.as_view(), name="api-install-code-request-bulk-job-confirm"),
    path("incidents/install-code-requests/bulk-jobs/<int:job_id>/results/",
         views.InstallCodeRequestBulkJobResultsView.as_view(), name="api-install-code-request-bulk-job-results"),
    path("incidents/install-code-deposits/", views.DepositListCreateView.as_view(), name="api-deposit-list"),
    path("incidents/install-code-deposits/bulk/", views.DepositBulkView.as_view(), name="api-deposit-bulk"),
    path("incidents/contacts/", views.ContactsView.as_view(), name="api-incident-contacts"),
    path("incidents/<str:reference>/", views.IncidentDetailView.as_view(), name="api-incident-detail"),
    path("incidents/<str:reference>/notes/", views.IncidentNotesView.as_view(), name="api-incident-notes"),
    path("incidents/<str:reference>/close/", views.IncidentCloseView.as_view(), name="api-incident-close"),
    path("incidents/<str:reference>/reassign/", views.IncidentReassignView.as_view(), name="api-incident-reassign"),
    path("incidents/<str:reference>/reopen/", views.IncidentReopenView.as_view(), name="api-incident-reopen"),
    path("incidents/<str:reference>/reveal-install-code/", views.IncidentRevealView.as_view(),
         name="api-incident-reveal"),
]
