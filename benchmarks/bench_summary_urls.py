"""URLs for benchmarks/bench_summary.py: the project's, the summary download routes (as the
lead wires them into the clinician URLs) and a plain Django file view for comparison."""

from django.conf import settings
from django.urls import re_path
from django.views.static import serve

from tests.summary.urls import urlpatterns as summary_urlpatterns

urlpatterns = [
    *summary_urlpatterns,
    re_path(r"^bench/(?P<path>.+)$", serve, {"document_root": settings.STATIC_ROOT}),
]
