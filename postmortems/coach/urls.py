from django.urls import path

from postmortems.coach import views as coach_views

urlpatterns = [
    path("coach/check/", coach_views.check, name="coach_check"),
    path("coach/trends/", coach_views.trends, name="coach_trends"),
    path("postmortems/<slug:slug>/findings/dismiss/", coach_views.dismiss, name="coach_dismiss"),
]
