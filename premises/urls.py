from django.urls import path

from premises import views

app_name = "premises"
urlpatterns = [
    path("<str:device_id>/timeline/", views.timeline, name="timeline"),
]
