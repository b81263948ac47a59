"""URLs for benchmarks/bench_summary.py: the project's, plus a plain Django file view to
compare serving a stored PDF against."""

from django.conf import settings
from django.urls import re_path
from django.views.static import serve

from sdm.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    *project_urlpatterns,
    re_path(r"^bench/(?P<path>.+)$", serve, {"document_root": settings.STATIC_ROOT}),
]
