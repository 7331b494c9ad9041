from django.apps import AppConfig


class ScheduleConfig(AppConfig):
    name = "ketaclinic.schedule"
    label = "schedule"

    def ready(self) -> None:
        from ketaclinic.schedule import panels
        from ketaclinic.web.panels import register_panel

        register_panel("staff", order=10)(panels.todays_visits_panel)
        register_panel("patient", order=10)(panels.next_visit_panel)
