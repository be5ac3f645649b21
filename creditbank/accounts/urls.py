from django.urls import path

from creditbank.accounts import views
from creditbank.reviews import views as review_views

app_name = "accounts"
urlpatterns = [
    path("accounts/login/", views.login_view, name="login"),
    path("accounts/logout/", views.logout_view, name="logout"),
    path("accounts/register/", views.register, name="register"),
    path("accounts/register/done/", views.register_done, name="register-done"),
    path("accounts/activate/", views.activate, name="activate"),
    path("accounts/password-reset/", views.password_reset, name="password-reset"),
    path("accounts/send-code/", views.send_code, name="send-code"),
    path("accounts/large-text/", views.large_text, name="large-text"),
    path("me/", views.me, name="me"),
    path("me/settings/", views.me_settings, name="me-settings"),
    path("me/resubmit/", views.me_resubmit, name="me-resubmit"),
    path("me/inbox/", review_views.me_inbox, name="me-inbox"),
]
