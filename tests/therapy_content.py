"""Small therapy content documents for tests (the shipped seed is tested in test_golden.py).

The numbers are made up so that the expected results can be worked out by hand.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

DISEASES = ("psoriasis", "atopic_dermatitis", "multiple_sclerosis", "sle", "vitiligo")


def text(en: str, zh: str | None = None) -> dict[str, str]:
    return {"en": en, "zh-hans": zh if zh is not None else f"{en}（中文）"}


CRITERIA = [
    {"key": "effectiveness", "better": "higher", "name": text("How well it works")},
    {"key": "speed", "better": "lower", "name": text("How soon it helps")},
    {"key": "serious_harm", "better": "lower", "name": text("Risk of serious harm")},
    {"key": "side_effects", "better": "lower", "name": text("Common side effects")},
    {"key": "convenience", "better": "lower", "name": text("How it is taken")},
    {"key": "monitoring", "better": "lower", "name": text("Tests and visits")},
    {"key": "certainty", "better": "higher", "name": text("How sure the evidence is")},
]

REFERENCE_A = {
    "citation": "Trial A, 2020",
    "url": "https://example.org/trial-a",
    "checked": "2025-01-10",
    "next_review": "2026-01-10",
}
REFERENCE_B = {
    "citation": "Guideline B, 2023",
    "url": "https://example.org/guideline-b",
    "checked": "2025-03-01",
    "next_review": "2099-03-01",
}


def _values(effectiveness, speed, harm, side, convenience, monitoring) -> dict[str, Any]:
    return {
        "effectiveness": effectiveness,
        "speed": speed,
        "serious_harm": harm,
        "side_effects": side,
        "convenience": convenience,
        "monitoring": monitoring,
    }


def therapy(slug: str, **overrides: Any) -> dict[str, Any]:
    entry = {
        "slug": slug,
        "name": text(slug.replace("_", " ").title()),
        "family": "monoclonal_antibody",
        "target": "",
        "target_class": "",
        "routes": ["subcutaneous"],
        "schedule": text("Every 2 weeks"),
        "onset_weeks": [2, 4],
        "what_it_is": text("A medicine."),
        "how_taken": text("An injection."),
        "benefits": text("Clearer skin."),
        "downsides": text("Infections."),
        "living_with": text("Injections at home."),
        "pregnancy": text("Ask first."),
        "common_side_effects": [text("Sore throat"), text("Redness where injected")],
        "serious_risks": [text("Serious infection")],
        "monitoring": [text("TB test before starting")],
        "references": [REFERENCE_A],
        "unverified": [],
        "indications": {},
    }
    entry.update(overrides)
    return entry


def indication(
    status: str = "approved", certainty: str = "high", values=None, **extra: Any
) -> dict[str, Any]:
    entry = {
        "status": status,
        "status_note": text(""),
        "severity": "any",
        "certainty": certainty,
        "outcomes": [],
        "values": values or {},
        "uncertain": [],
    }
    entry.update(extra)
    return entry


def therapies_document() -> dict[str, Any]:
    """Psoriasis: two biologics of one class, a tablet, an experimental infusion, no change."""
    no_change = therapy(
        "no_change",
        family="status_quo",
        routes=[],
        onset_weeks=None,
        references=[REFERENCE_B],
        indications={
            disease: indication("standard_care", "moderate", _values(5, 0, 0, 0, 0, 0))
            for disease in DISEASES
        },
    )
    return {
        "format": "sdm-therapies",
        "format_version": 1,
        "reviewed": "2025-03-01",
        "criteria": copy.deepcopy(CRITERIA),
        "therapies": [
            no_change,
            therapy(
                "alpha_mab",
                target_class="IL-17",
                indications={
                    "psoriasis": indication(
                        values=_values(80, 4, 2, 1, 1, 1),
                        severity="moderate_to_severe",
                        outcomes=[
                            {
                                "text": text("had clear or almost clear skin"),
                                "count": 80,
                                "per": 100,
                                "horizon": text("16 weeks"),
                                "population": text("adults with moderate to severe psoriasis"),
                                "certainty": "high",
                                "source": REFERENCE_A["url"],
                            }
                        ],
                    ),
                    "multiple_sclerosis": indication("not_recommended", "low"),
                },
            ),
            therapy(
                "beta_mab",
                target_class="IL-17",
                indications={"psoriasis": indication(values=_values(70, 4, 2, 1, 1, 1))},
            ),
            therapy(
                "gamma_tablet",
                family="small_molecule",
                routes=["oral"],
                indications={
                    "psoriasis": indication(certainty="moderate", values=_values(40, 8, 1, 2, 0, 1))
                },
            ),
            therapy(
                "delta_cells",
                family="stem_cell",
                routes=["intravenous"],
                indications={
                    "psoriasis": indication(
                        "experimental", "very_low", _values(50, 12, 30, 2, 3, 3)
                    )
                },
            ),
        ],
    }


def rules_document() -> dict[str, Any]:
    return {
        "format": "sdm-rules",
        "format_version": 1,
        "rules": [
            {
                "id": "pregnancy_no_biologic_x",
                "applies_to": {"therapies": ["gamma_tablet"], "families": [], "target_classes": []},
                "condition": {"q": "safety_pregnancy", "op": "eq", "value": True},
                "effect": "not_suitable",
                "clinician_message": text("Contraindicated in pregnancy."),
                "patient_message": text("Not used in pregnancy."),
                "evidence": [REFERENCE_B["url"]],
            },
            {
                "id": "ibd_il17_caution",
                "applies_to": {"therapies": [], "families": [], "target_classes": ["IL-17"]},
                "condition": {"q": "safety_ibd", "op": "eq", "value": True},
                "effect": "caution",
                "clinician_message": text("IL-17 inhibitors can worsen IBD."),
                "patient_message": text("Can make bowel inflammation worse."),
                "evidence": [],
            },
        ],
    }


def write_content(directory: Path, therapies=None, rules=None) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "therapies.json").write_text(
        json.dumps(therapies if therapies is not None else therapies_document()), encoding="utf-8"
    )
    (directory / "rules.json").write_text(
        json.dumps(rules if rules is not None else rules_document()), encoding="utf-8"
    )
    return directory
