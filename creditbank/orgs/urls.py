from django.urls import path

from creditbank.orgs import views

app_name = "orgs"
urlpatterns = [
    path("console/orgs/", views.org_list, name="org-list"),
    path("console/orgs/new/", views.org_create, name="org-create"),
    path("console/orgs/<str:code>/", views.org_detail, name="org-detail"),
    path("console/orgs/<str:code>/edit/", views.org_edit, name="org-edit"),
    path("console/orgs/<str:code>/tokens/", views.org_tokens, name="org-tokens"),
    path("console/orgs/<str:code>/tokens/<int:token_id>/revoke/", views.org_token_revoke, name="org-token-revoke"),
    path("console/staff/", views.staff_list, name="staff-list"),
    path("console/staff/new/", views.staff_create, name="staff-create"),
    path("console/staff/roles/", views.role_list, name="role-list"),
    path("console/staff/<str:username>/memberships/", views.staff_memberships, name="staff-memberships"),
]
