from django.urls import path

from creditbank.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("help/", views.help_page, name="help"),
    path("network/", views.network, name="network"),
]
