from django.urls import path

from postmortems import comment_views, follow_views, notification_views, review_views, timeline_views, views, webhooks
from postmortems.coach import views as coach_views

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
    # The timeline paste reader and the Markdown export.
    path("postmortems/<slug:slug>/timeline/parse/", timeline_views.timeline_parse, name="timeline_parse"),
    path("postmortems/<slug:slug>/timeline/upload/", timeline_views.timeline_upload, name="timeline_upload"),
    path("postmortems/<slug:slug>/export.md", timeline_views.postmortem_export_markdown,
         name="postmortem_export_markdown"),
    # The language coach.
    path("coach/check/", coach_views.check, name="coach_check"),
    path("coach/trends/", coach_views.trends, name="coach_trends"),
    path("postmortems/<slug:slug>/findings/dismiss/", coach_views.dismiss, name="coach_dismiss"),
    # Notifications: the inbox, preferences and the emails' one-click unsubscribe.
    path("notifications/", notification_views.notification_list, name="notification_list"),
    path("notifications/read-all/", notification_views.notification_read_all, name="notification_read_all"),
    path("notifications/<int:pk>/read/", notification_views.notification_read, name="notification_read"),
    path("notifications/unsubscribe/<str:token>/", notification_views.notification_unsubscribe,
         name="notification_unsubscribe"),
    path("profile/notifications/", notification_views.notification_preferences, name="notification_preferences"),
    # Review together: comments, reviewers, following and the people picker for mentions.
    path("postmortems/<slug:slug>/comments/", comment_views.comment_review, name="comment_review"),
    path("postmortems/<slug:slug>/comments/new/", comment_views.comment_new, name="comment_new"),
    path("comments/<int:pk>/edit/", comment_views.comment_edit, name="comment_edit"),
    path("comments/<int:pk>/delete/", comment_views.comment_delete, name="comment_delete"),
    path("comments/<int:pk>/resolve/", comment_views.comment_resolve, name="comment_resolve"),
    path("postmortems/<slug:slug>/reviewers/", review_views.reviewers_request, name="reviewers_request"),
    path("postmortems/<slug:slug>/review/", review_views.review_decide, name="review_decide"),
    path("follow/postmortems/<slug:slug>/", follow_views.follow_postmortem, name="follow_postmortem"),
    path("follow/tags/<str:slug>/", follow_views.follow_tag, name="follow_tag"),
    path("follow/teams/<slug:slug>/", follow_views.follow_team, name="follow_team"),
    path("people/suggest/", follow_views.people_suggest, name="people_suggest"),
]
