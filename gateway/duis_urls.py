"""``POST /duis/``: the DUIS XML gateway."""
from django.urls import path

from gateway.duis.views import DuisView

urlpatterns = [
    path("duis/", DuisView.as_view(), name="duis"),
]
