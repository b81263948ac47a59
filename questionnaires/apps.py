from django.apps import AppConfig


class QuestionnairesConfig(AppConfig):
    name = "questionnaires"
    verbose_name = "Questionnaires"

    def ready(self) -> None:
        # History is registered here, after modeltranslation has added the per-language
        # columns, so the historical tables record every language, not just the default.
        from questionnaires.history import register_history

        register_history()
        # Importing these registers, whether or not the admin is ever loaded (commands
        # publish and submit too): the stored-test-case gate with the publish service,
        # and "render the summary PDFs" as a hook on every frozen result.
        # The staff session clock starts at login (a signal receiver in the middleware).
        from questionnaires import middleware  # noqa: F401
        from questionnaires.services import simulation_cases, summaries  # noqa: F401
