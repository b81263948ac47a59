from tests.summary.fixtures import demo, module_demo, team  # noqa: F401 - shared fixtures
