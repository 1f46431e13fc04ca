from django.urls import path

from postmortems import timeline_views

urlpatterns = [
    path("postmortems/<slug:slug>/timeline/parse/", timeline_views.timeline_parse, name="timeline_parse"),
    path("postmortems/<slug:slug>/timeline/upload/", timeline_views.timeline_upload, name="timeline_upload"),
    path("postmortems/<slug:slug>/export.md", timeline_views.postmortem_export_markdown,
         name="postmortem_export_markdown"),
]
