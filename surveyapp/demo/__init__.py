"""A deterministic synthetic county for demos and tests (`flask demo load`).

``load_demo_county(session, seed=1, size="small")`` writes it; ``planted_effects(seed, size)``
returns the truth its responses were generated from, without touching the database.
"""

from surveyapp.demo.county import DEMO_PASSWORDS
from surveyapp.demo.load import CountyNotEmpty, DemoSummary, count_orgs, load_demo_county
from surveyapp.demo.plan import SIZES, PlantedEffects, planted_effects
from surveyapp.demo.waves import QuestionnairesBroken

__all__ = [
    "DEMO_PASSWORDS",
    "SIZES",
    "CountyNotEmpty",
    "DemoSummary",
    "PlantedEffects",
    "QuestionnairesBroken",
    "count_orgs",
    "load_demo_county",
    "planted_effects",
]
