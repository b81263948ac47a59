"""Where the test fixtures that come from outside the code live (all inside the repository)."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
FIXTURES_DIR = REPO_ROOT / "tests" / "fixtures"
# Real FHIR R4 Questionnaires written by others, kept unchanged (licences in its README).
PUBLIC_FHIR = FIXTURES_DIR / "fhir" / "public"
# The project's therapy reference facts (sources per entry; see therapy_facts.md).
THERAPY_FACTS = FIXTURES_DIR / "therapy_facts.json"
