"""Console URLs of the catalog and the standards; included from ``creditbank/urls.py``."""

from django.urls import path

from creditbank.catalog import console_views as views

app_name = "catalog"
urlpatterns = [
    path("console/catalog/", views.item_list, name="item-list"),
    path("console/catalog/new/", views.item_create, name="item-create"),
    path("console/catalog/import/", views.catalog_import, name="catalog-import"),
    path("console/catalog/template.xlsx", views.catalog_template, name="catalog-template"),
    path("console/catalog/export.<str:fmt>", views.catalog_export, name="catalog-export"),
    path("console/catalog/items/<str:code>/", views.item_detail, name="item-detail"),
    path("console/catalog/items/<str:code>/edit/", views.item_edit, name="item-edit"),
    path("console/catalog/items/<str:code>/publish/", views.item_publish, name="item-publish"),
    path("console/catalog/items/<str:code>/retire/", views.item_retire, name="item-retire"),
    path("console/standards/", views.standard_list, name="standard-list"),
    path("console/standards/new/", views.standard_create, name="standard-create"),
    path("console/standards/<int:pk>/", views.standard_detail, name="standard-detail"),
    path("console/standards/<int:pk>/edit/", views.standard_edit, name="standard-edit"),
    path("console/standards/<int:pk>/attachments/", views.standard_attach, name="standard-attach"),
    path(
        "console/standards/<int:pk>/attachments/<int:attachment_id>/",
        views.standard_attachment,
        name="standard-attachment",
    ),
    path(
        "console/standards/<int:pk>/attachments/<int:attachment_id>/delete/",
        views.standard_detach,
        name="standard-detach",
    ),
]
