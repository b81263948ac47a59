from django.apps import AppConfig


class QuestionnairesConfig(AppConfig):
    name = "questionnaires"
    verbose_name = "Questionnaires"

    def ready(self) -> None:
        # History is registered here, after modeltranslation has added the per-language
        # columns, so the historical tables record every language, not just the default.
        from questionnaires.history import register_history

        register_history()
        # The staff session clock starts with the login itself (see middleware.py).
        from django.contrib.auth.signals import user_logged_in

        from questionnaires.middleware import session_clock_starts_at_login

        user_logged_in.connect(session_clock_starts_at_login, dispatch_uid="sdm-session-clock")
        # Stored summary PDFs never in a folder served by URL.
        from django.core import checks

        from questionnaires.storage import summary_storage_check

        checks.register(summary_storage_check)
