from django.urls import path, re_path

from gateway import views

app_name = "gateway"
urlpatterns = [
    path("", views.log_index, name="log-index"),
    re_path(r"^alerts/(?P<log>sat|diagnostics)/$", views.alert_log, name="alert-log"),
    path("allow-lists/", views.allow_lists, name="allow-lists"),
]
