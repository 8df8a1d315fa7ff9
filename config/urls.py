"""Top-level URLs (``ROOT_URLCONF``). Each app owns its own ``urls.py`` (pages) and ``api/urls.py`` (REST)."""
from csp.decorators import csp_update
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from config import home
from portal import views, views_demo_mailbox, views_outbox

api_v1 = [
    path("", include("portal.api.urls")),
    path("", include("inventory.api.urls")),
    path("", include("gateway.api.urls")),
    path("", include("incidents.api.urls")),
    path("", include("reporting.api.urls")),
    path("", include("premises.api.urls")),
]

# Swagger UI under the portal's CSP (script-src/style-src 'self'): the split view serves its start-up script
# from /api/docs/?script instead of inline. The page template of drf-spectacular (0.30) still has one small
# inline <style> block; this page alone allows exactly that block by its hash. After an upgrade that changes
# it, tests/e2e/test_api_docs.py fails with the new hash in Chromium's CSP message.
SWAGGER_UI_INLINE_STYLE = "'sha256-MMpT0iDxyjALd9PdfepImGX3DBfJPXZ4IlDWdPAgtn0='"
api_docs = csp_update({"style-src": [SWAGGER_UI_INLINE_STYLE]})(SpectacularSwaggerSplitView.as_view(url_name="api-schema"))

urlpatterns = [
    path("", home.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/api-tokens/", views.api_tokens, name="api-tokens"),
    path("account/api-tokens/<int:token_id>/revoke/", views.api_token_revoke_view, name="api-token-revoke"),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", api_docs, name="api-docs"),
    path("inventory/", include("inventory.urls")),
    path("gateway/", include("gateway.urls")),
    path("incidents/", include("incidents.urls")),
    path("reports/", include("reporting.urls")),
    path("premises/", include("premises.urls")),
    path("", include("gateway.duis_urls")),
    path("admin-tools/outbox/", views_outbox.outbox_list, name="outbox-list"),
    # The demo's mail catcher and CSP endpoint (``make demo`` only: 404 unless DEMO_MAILBOX_ENABLED).
    path("demo/mailbox/", views_demo_mailbox.mailbox_list, name="demo-mailbox"),
    path("demo/mailbox/<int:email_id>/", views_demo_mailbox.mailbox_message, name="demo-mailbox-message"),
    path("demo/csp-notifications/", views_demo_mailbox.csp_notifications, name="demo-csp-notifications"),
    path("admin/", admin.site.urls),
]
