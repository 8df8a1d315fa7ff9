from django.urls import path

from premises.api import views

urlpatterns = [
    path("premises/<str:device_id>/timeline/", views.TimelineView.as_view(), name="api-premises-timeline"),
]
