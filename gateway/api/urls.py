from django.urls import path

from gateway.api import identities, views

urlpatterns = [
    path("service-requests/", views.ServiceRequestView.as_view(), name="api-service-request"),
    path("alerts/", views.AlertView.as_view(), name="api-alert"),
    path("parties/<str:code>/duis-identities/", identities.DuisIdentityListView.as_view(),
         name="api-duis-identities"),
    path("parties/<str:code>/duis-identities/<str:user_id>/revoke/", identities.DuisIdentityRevokeView.as_view(),
         name="api-duis-identity-revoke"),
]
