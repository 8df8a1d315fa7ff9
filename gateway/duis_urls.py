"""``POST /duis/``: the DUIS XML gateway (built in the gateway issue)."""
from django.urls import path  # noqa: F401

urlpatterns: list = []
