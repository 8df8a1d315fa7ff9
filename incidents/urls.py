from django.urls import path

from incidents import views

app_name = "incidents"
urlpatterns = [
    path("", views.incident_list, name="incident-list"),
    path("install-code-requests/new/", views.incident_raise, name="incident-raise"),
    path("install-code-requests/bulk/", views.bulk_upload, name="bulk-upload"),
    path("install-code-requests/bulk/template.csv", views.bulk_template_csv, name="bulk-template"),
    path("install-code-requests/bulk/<int:job_id>/", views.bulk_job, name="bulk-job"),
    path("install-code-requests/bulk/<int:job_id>/confirm/", views.bulk_job_confirm, name="bulk-job-confirm"),
    path("install-code-requests/bulk/<int:job_id>/refused-rows.csv", views.bulk_job_refused_csv,
         name="bulk-job-refused"),
    path("install-code-requests/bulk/<int:job_id>/results.csv", views.bulk_job_results_csv, name="bulk-job-results"),
    path("install-code-deposits/", views.deposits, name="deposits"),
    path("contacts/", views.contacts, name="contacts"),
    path("<str:reference>/", views.incident_detail, name="incident-detail"),
    path("<str:reference>/notes/", views.incident_note, name="incident-note"),
    path("<str:reference>/not-installing/", views.incident_not_installing, name="incident-not-installing"),
    path("<str:reference>/answer/", views.incident_answer, name="incident-answer"),
    path("<str:reference>/reopen/", views.incident_reopen, name="incident-reopen"),
    path("<str:reference>/close/", views.incident_close, name="incident-close"),
    path("<str:reference>/reassign/", views.incident_reassign, name="incident-reassign"),
    path("<str:reference>/notes/<int:note_id>/reveal/", views.incident_reveal, name="incident-reveal"),
]
