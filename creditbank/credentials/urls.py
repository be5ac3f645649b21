from django.urls import path

from creditbank.credentials import views

app_name = "credentials"
urlpatterns = [
    path(".well-known/did.json", views.did_document, name="did-document"),
    path("verify/", views.verify_page, name="verify"),
    path("verify/c/<str:credential_uuid>/", views.verify_stored, name="verify-stored"),
    path("verify/c/<str:credential_uuid>/credential.json", views.stored_credential_json, name="stored-json"),
    path("me/archive/outcomes/<int:pk>/credential.json", views.me_outcome_credential, name="me-outcome-credential"),
]
