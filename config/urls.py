from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from postmortems import views as pm_views

admin.site.site_header = "Hindsight — facilitator's desk"
admin.site.site_title = "Hindsight admin"
admin.site.index_title = "Reviews, publishing, templates and tags"

urlpatterns = [
    path("healthz", pm_views.healthz, name="healthz"),
    path("favicon.ico", pm_views.favicon, name="favicon"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("", include("postmortems.urls")),
    path("", include("knowledge.urls")),
    # Images dropped into the editor, checked against who may see their post-mortem (never a static alias).
    path(settings.MEDIA_URL.lstrip("/") + "<path:name>", pm_views.media_file, name="media_file"),
]
