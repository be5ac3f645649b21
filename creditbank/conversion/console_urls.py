"""URLs of programmes and conversion: the console's pages and editing forms, and the learner's side
(``/me/programmes/``); included from ``creditbank/urls.py``."""

from django.urls import path

from creditbank.conversion import console_views, map_views, views, worth_views

app_name = "conversion"
urlpatterns = [
    path("console/conversion/", console_views.programme_list, name="programme-list"),
    path("console/conversion/programmes/new/", console_views.programme_create, name="programme-create"),
    path("console/conversion/<str:code>/", console_views.programme_detail, name="programme-detail"),
    # editing (conversion.manage on the programme's centre): programme, groups, courses, rules
    path("console/conversion/<str:code>/edit/", console_views.programme_edit, name="programme-edit"),
    path("console/conversion/<str:code>/groups/new/", console_views.group_create, name="group-create"),
    path("console/conversion/<str:code>/groups/<int:pk>/edit/", console_views.group_edit, name="group-edit"),
    path("console/conversion/<str:code>/courses/new/", console_views.course_create, name="course-create"),
    path("console/conversion/<str:code>/courses/<str:course>/edit/", console_views.course_edit, name="course-edit"),
    path("console/conversion/<str:code>/rules/new/", console_views.rule_create, name="rule-create"),
    path("console/conversion/<str:code>/rules/<str:number>/edit/", console_views.rule_edit, name="rule-edit"),
    path("console/conversion/<str:code>/rules/<str:number>/check/", console_views.rule_check, name="rule-check"),
    path("console/conversion/<str:code>/rules/<str:number>/publish/", console_views.rule_publish, name="rule-publish"),
    path("console/conversion/<str:code>/rules/<str:number>/retire/", console_views.rule_retire, name="rule-retire"),
    # the learner's side: what their outcomes convert into, and applying
    path("me/programmes/", views.me_programmes, name="me-programmes"),
    path("me/programmes/<str:code>/apply/", views.me_programme_apply, name="me-programme-apply"),
    # the learning map (学习地图): pick a programme, then its map
    path("me/programmes/map/", map_views.me_programme_maps, name="me-programme-maps"),
    path("me/programmes/<str:code>/map/", map_views.me_programme_map, name="me-programme-map"),
    # public: what is an outcome worth here? (no login)
    path("worth/", worth_views.worth_page, name="worth"),
]
