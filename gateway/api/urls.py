from django.urls import path

from gateway.api import views

urlpatterns = [
    path("service-requests/", views.ServiceRequestView.as_view(), name="api-service-request"),
    path("alerts/", views.AlertView.as_view(), name="api-alert"),
]
