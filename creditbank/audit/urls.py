from django.urls import path

from creditbank.audit import views

app_name = "audit"
urlpatterns = [
    path("console/audit/", views.entry_list, name="entry-list"),
    path("console/audit/logins/", views.login_list, name="login-list"),
]
