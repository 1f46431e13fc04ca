from django.urls import path

from postmortems import views, webhooks

urlpatterns = [
    path("", views.home, name="home"),
    path("postmortems/", views.postmortem_list, name="postmortem_list"),
    path("postmortems/new/", views.postmortem_new, name="postmortem_new"),
    path("postmortems/<slug:slug>/", views.postmortem_detail, name="postmortem_detail"),
    path("postmortems/<slug:slug>/edit/", views.postmortem_edit, name="postmortem_edit"),
    path("postmortems/<slug:slug>/history/", views.postmortem_history, name="postmortem_history"),
    path("postmortems/<slug:slug>/submit/", views.postmortem_submit, name="postmortem_submit"),
    path("postmortems/<slug:slug>/publish/", views.postmortem_publish, name="postmortem_publish"),
    path("postmortems/<slug:slug>/send-back/", views.postmortem_send_back, name="postmortem_send_back"),
    path("postmortems/<slug:slug>/amendment/", views.amendment_review, name="amendment_review"),
    path("postmortems/<slug:slug>/amendment/discard/", views.amendment_discard, name="amendment_discard"),
    path("action-items/", views.action_item_list, name="action_item_list"),
    path("action-items/<int:pk>/status/", views.action_item_status, name="action_item_status"),
    path("profile/", views.profile, name="profile"),
    path("api/v1/hooks/<slug:key>/", webhooks.incident_webhook, name="incident_webhook"),
    path("profile/api-tokens/", views.api_token_create, name="api_token_create"),
    path("profile/api-tokens/<int:pk>/revoke/", views.api_token_revoke, name="api_token_revoke"),
    path("markdownx/markdownify/", views.markdown_preview, name="markdownx_markdownify"),
    path("markdownx/upload/", views.image_upload, name="markdownx_upload"),
]
