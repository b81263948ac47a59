from django.apps import AppConfig


class QuestionnairesConfig(AppConfig):
    name = "questionnaires"
    verbose_name = "Questionnaires"

    def ready(self) -> None:
        # History is registered here, after modeltranslation has added the per-language
        # columns, so the historical tables record every language, not just the default.
        from questionnaires.history import register_history

        register_history()
