from django.urls import path

from ketaclinic.schedule import views, views_patient, views_replan, views_setup, views_waitlist

app_name = "schedule"

urlpatterns = [
    # front desk
    path("", views.day_view, name="day"),
    path("week/", views.week_view, name="week"),
    path("book/", views.book_view, name="book"),
    path("visit/<int:visit_id>/move/", views.move_view, name="move"),
    path("visit/<int:visit_id>/cancel/", views.cancel_view, name="cancel"),
    path("visit/<int:visit_id>/no-show/", views.no_show_view, name="no_show"),
    path("visit/<int:visit_id>/nurse/", views.assign_nurse_view, name="assign_nurse"),
    path("waitlist/", views_waitlist.waitlist_view, name="waitlist"),
    path("propose/", views_waitlist.propose_view, name="propose"),
    path("proposal/<int:proposal_id>/", views_waitlist.proposal_view, name="proposal"),
    path("proposal/<int:proposal_id>/close/", views_waitlist.proposal_close_view, name="proposal_close"),
    path("replan/", views_replan.replan_view, name="replan"),
    path("proposal/<int:proposal_id>/moves/", views_replan.proposal_move_view, name="proposal_move"),
    path("course/<int:course_id>/move/", views_replan.move_course_view, name="move_course"),
    path("offer/<int:offer_id>/withdraw/", views_waitlist.offer_withdraw_view, name="offer_withdraw"),
    path("patient/<int:patient_id>/availability/", views_waitlist.availability_view, name="availability"),
    path("setup/", views_setup.setup_view, name="setup"),
    path("setup/hours/", views_setup.hours_view, name="hours"),
    path("setup/closed/", views_setup.closed_day_add_view, name="closed_add"),
    path("setup/closed/<int:closed_id>/remove/", views_setup.closed_day_remove_view, name="closed_remove"),
    path("setup/chairs/", views_setup.chair_add_view, name="chair_add"),
    path("setup/chairs/<int:chair_id>/", views_setup.chair_edit_view, name="chair_edit"),
    path("setup/chairs/<int:chair_id>/toggle/", views_setup.chair_toggle_view, name="chair_toggle"),
    path("setup/shifts/", views_setup.shift_add_view, name="shift_add"),
    path("setup/shifts/<int:shift_id>/remove/", views_setup.shift_remove_view, name="shift_remove"),
    path("setup/feeds/", views_setup.staff_feed_add_view, name="staff_feed_add"),
    path("setup/feeds/<int:feed_id>/revoke/", views_setup.staff_feed_revoke_view, name="staff_feed_revoke"),
    # patient portal
    path("my/", views_patient.my_visits_view, name="my_visits"),
    path("my/visit/<int:visit_id>/reschedule/", views_patient.my_reschedule_view, name="my_reschedule"),
    path("my/visit/<int:visit_id>/cancel/", views_patient.my_cancel_view, name="my_cancel"),
    path("my/offer/<int:recipient_id>/", views_patient.my_offer_view, name="my_offer"),
    path("my/availability/", views_patient.my_availability_view, name="my_availability"),
    path("my/calendar/", views_patient.my_feed_view, name="my_feed"),
    # iCalendar (secret link, no sign-in)
    path("feed/<str:token>.ics", views_patient.feed_view, name="feed"),
]
