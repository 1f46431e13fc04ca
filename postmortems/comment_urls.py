from django.urls import path

from postmortems import comment_views as views
from postmortems import follow_views, review_views

urlpatterns = [
    path("postmortems/<slug:slug>/comments/", views.comment_review, name="comment_review"),
    path("postmortems/<slug:slug>/comments/new/", views.comment_new, name="comment_new"),
    path("comments/<int:pk>/edit/", views.comment_edit, name="comment_edit"),
    path("comments/<int:pk>/delete/", views.comment_delete, name="comment_delete"),
    path("comments/<int:pk>/resolve/", views.comment_resolve, name="comment_resolve"),
    path("postmortems/<slug:slug>/reviewers/", review_views.reviewers_request, name="reviewers_request"),
    path("postmortems/<slug:slug>/review/", review_views.review_decide, name="review_decide"),
    path("follow/postmortems/<slug:slug>/", follow_views.follow_postmortem, name="follow_postmortem"),
    path("follow/tags/<slug:slug>/", follow_views.follow_tag, name="follow_tag"),
    path("follow/teams/<slug:slug>/", follow_views.follow_team, name="follow_team"),
    path("people/suggest/", follow_views.people_suggest, name="people_suggest"),
]
