from django.urls import path

from ketaclinic.guide import views

app_name = "guide"

urlpatterns = [
    path("", views.guide_index, name="index"),
    path("reading/", views.reading_status, name="reading_status"),
    path("language/", views.set_language, name="set_language"),
    path("<slug:slug>/", views.guide_page, name="page"),
    path("<slug:slug>/<str:language>/edit/", views.edit_page, name="edit"),
]
