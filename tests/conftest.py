import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

# The machines that run this suite are shared and noisy: no property test may fail
# because one example was slow. Speed is measured by the benchmark scripts instead.
hypothesis_settings.register_profile(
    "sdm", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.load_profile("sdm")


@pytest.fixture(autouse=True)
def _english_by_default(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def summary_storage(settings, tmp_path):
    """The summary PDFs' storage in a folder of this test's own; returns the folder."""
    folder = tmp_path / "summaries"
    settings.STORAGES = {
        **settings.STORAGES,
        "summaries": {
            **settings.STORAGES["summaries"],
            "OPTIONS": {**settings.STORAGES["summaries"]["OPTIONS"], "location": str(folder)},
        },
    }
    return folder
