from django.apps import AppConfig


class CoursesConfig(AppConfig):
    name = "ketaclinic.courses"
    label = "courses"

    def ready(self) -> None:
        from ketaclinic.courses import panels
        from ketaclinic.web.panels import register_panel

        register_panel("chart", order=20)(panels.courses_chart_panel)
