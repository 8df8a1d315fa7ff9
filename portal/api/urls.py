from django.urls import path

from portal.api import views

urlpatterns = [
    path("parties/", views.PartyListView.as_view(), name="api-party-list"),
]
