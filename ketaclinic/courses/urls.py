from django.urls import path

from ketaclinic.courses import views

app_name = "courses"

urlpatterns = [
    path("<int:course_id>/", views.course_detail, name="detail"),
    path("<int:course_id>/amend/", views.amend_course, name="amend"),
    path("amendment/<int:amendment_id>/cosign/", views.cosign_amendment, name="cosign"),
    path("<int:course_id>/maintenance/", views.plan_maintenance, name="maintenance"),
    path("<int:course_id>/boosters/", views.book_boosters, name="book_boosters"),
    path("<int:course_id>/stop/", views.stop_course, name="stop"),
]
