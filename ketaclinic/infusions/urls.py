from __future__ import annotations

from django.urls import path

from ketaclinic.infusions.views import board, controlled, order, portal, printing, visit

app_name = "infusions"

urlpatterns = [
    path("", board.board, name="board"),
    path("visit/<int:visit_id>/arrive/", board.arrive, name="arrive"),
    path("visit/<int:visit_id>/take/", board.take, name="take"),
    path("call/<int:call_id>/answer/", board.answer_call, name="answer_call"),
    path("visit/<int:visit_id>/", visit.visit_detail, name="visit"),
    path("visit/<int:visit_id>/checkin/", visit.checkin, name="checkin"),
    path("visit/<int:visit_id>/override/", visit.override, name="override"),
    path("visit/<int:visit_id>/vitals/", visit.vitals, name="vitals"),
    path("vitals/<int:vital_id>/amend/", visit.amend_vitals, name="amend_vitals"),
    path("vitals/<int:vital_id>/confirm/", visit.confirm_vitals, name="confirm_vitals"),
    path("alert/<int:alert_id>/acknowledge/", visit.ack_alert, name="ack_alert"),
    path("visit/<int:visit_id>/order/", order.order, name="order"),
    path("visit/<int:visit_id>/pump/", visit.pump, name="pump"),
    path("visit/<int:visit_id>/observation/", visit.observation, name="observation"),
    path("visit/<int:visit_id>/adverse-event/", visit.adverse_event, name="adverse_event"),
    path("adverse-event/<int:event_id>/update/", visit.amend_adverse_event, name="amend_adverse_event"),
    path("visit/<int:visit_id>/rescue/", visit.rescue, name="rescue"),
    path("visit/<int:visit_id>/drug/", visit.cs_administration, name="cs_administration"),
    path("visit/<int:visit_id>/score/<str:name>/", visit.score, name="score"),
    path("visit/<int:visit_id>/discharge/", visit.discharge, name="discharge"),
    path("visit/<int:visit_id>/record/", printing.record, name="record"),
    path("visit/<int:visit_id>/aftercare/", printing.aftercare, name="aftercare"),
    path("controlled-substances/", controlled.cs_log, name="cs_log"),
    path("controlled-substances/receive/", controlled.cs_receive, name="cs_receive"),
    path("controlled-substances/count/", controlled.cs_count, name="cs_count"),
    path("controlled-substances/dispose/", controlled.cs_dispose, name="cs_dispose"),
    path("my-visit/<int:visit_id>/call-nurse/", portal.call_nurse, name="call_nurse"),
    path("my-visit/<int:visit_id>/aftercare/", portal.my_aftercare, name="my_aftercare"),
    path("check-in/<int:follow_up_id>/", portal.follow_up, name="follow_up"),
    path("check-in/<int:follow_up_id>/reviewed/", portal.review_follow_up, name="review_follow_up"),
]
