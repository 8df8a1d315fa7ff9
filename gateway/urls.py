from django.urls import path

from portal.placeholder import section_in_progress

app_name = "gateway"
urlpatterns = [
    path("", section_in_progress, name="log-index"),
    path("allow-lists/", section_in_progress, name="allow-lists"),
]
