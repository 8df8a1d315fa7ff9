from django.urls import path

from portal.api import views
from portal.api.health import HealthView

urlpatterns = [
    path("health/", HealthView.as_view(), name="api-health"),
    path("parties/", views.PartyListView.as_view(), name="api-party-list"),
]
