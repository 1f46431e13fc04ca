from django.urls import path

from postmortems import timeline_views, views
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
]
