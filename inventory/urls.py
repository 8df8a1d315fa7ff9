from django.urls import path

from portal.placeholder import section_in_progress

app_name = "inventory"
urlpatterns = [
    path("", section_in_progress, name="device-list"),
    path("cpl/", section_in_progress, name="cpl-list"),
]
