from django.urls import path, re_path

from gateway import views, views_identities

app_name = "gateway"
urlpatterns = [
    path("", views.log_index, name="log-index"),
    re_path(r"^alerts/(?P<log>sat|diagnostics)/$", views.alert_log, name="alert-log"),
    path("alerts/dcc/", views.dcc_alert_log, name="dcc-alert-log"),
    path("allow-lists/", views.allow_lists, name="allow-lists"),
    path("allow-lists/change/", views.allow_list_change, name="allow-list-change"),
    path("duis-identities/", views_identities.duis_identity_parties, name="duis-identity-parties"),
    path("duis-identities/<str:code>/", views_identities.duis_identity_party, name="duis-identity-party"),
]
