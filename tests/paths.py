"""Where the shared material lives: ``../shared`` beside the checkout, as in CI."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = REPO_ROOT.parent / "shared"
SHARED_FHIR = SHARED_DIR / "fhir"
THERAPY_FACTS = SHARED_DIR / "content" / "therapy_facts.json"
