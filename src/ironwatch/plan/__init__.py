"""The incident response plan as code: load, validate, query, score, diff and render it.

Rendering lives in ``ironwatch.plan.render`` (``render_plan``) so that importing the plan does not load
WeasyPrint.
"""

from ironwatch.plan.assess import assess_priority
from ironwatch.plan.csv_import import (
    import_assets_csv,
    import_completions_csv,
    parse_assets_csv,
    parse_completions_csv,
)
from ironwatch.plan.diff import PlanChange, diff_plans, plan_json_schema
from ironwatch.plan.loader import load_plan, parse_plan
from ironwatch.plan.models import Plan
from ironwatch.plan.oncall import on_call
from ironwatch.plan.problems import PlanError, PlanProblem
from ironwatch.plan.readiness import Gap, GapSeverity, Readiness, check_readiness
from ironwatch.plan.starter import init_plan_text

__all__ = [
    "Gap",
    "GapSeverity",
    "Plan",
    "PlanChange",
    "PlanError",
    "PlanProblem",
    "Readiness",
    "assess_priority",
    "check_readiness",
    "diff_plans",
    "import_assets_csv",
    "import_completions_csv",
    "init_plan_text",
    "load_plan",
    "on_call",
    "parse_assets_csv",
    "parse_completions_csv",
    "parse_plan",
    "plan_json_schema",
]
