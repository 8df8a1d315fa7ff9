from django.urls import path

from portal.placeholder import section_in_progress

app_name = "incidents"
urlpatterns = [path("", section_in_progress, name="incident-list")]
