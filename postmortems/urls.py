from django.urls import path

from postmortems import views

urlpatterns = [
    path("", views.home, name="home"),
]
