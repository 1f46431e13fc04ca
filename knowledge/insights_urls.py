from django.urls import path

from knowledge.insights import views as insights_views

urlpatterns = [
    path("insights/", insights_views.insights_page, name="insights"),
    path("insights/postmortems/", insights_views.insights_postmortems, name="insights_postmortems"),
    path("insights/<slug:slug>.csv", insights_views.insights_csv, name="insights_csv"),
]
