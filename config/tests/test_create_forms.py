"""A view never calls a service that creates records through `run_service`, which would run it again for a double
tap: it calls it through `run_once` (config.forms), which runs it once per render of the form.

A creating service is named for what it does (`*_add`, `*_assign`, `*_create`, `*_log`, `*_move`, `*_start`);
coaching/tests/test_double_submit.py and districts/tests/test_double_submit.py tap each one's form twice.
"""

import ast
import re
from pathlib import Path

from django.conf import settings

CREATES = re.compile(r"_(add|assign|create|log|move|start)$")


def _service_calls_through_run_service() -> list[str]:
    calls = []
    for path in sorted(Path(settings.BASE_DIR).glob("*/**/views.py")):
        if ".venv" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "run_service" and len(node.args) > 1:
                service = node.args[1]
                name = service.attr if isinstance(service, ast.Attribute) else getattr(service, "id", "")
                calls.append(f"{path.relative_to(settings.BASE_DIR)}:{node.lineno} {name}")
    return calls


def test_no_view_runs_a_creating_service_twice_for_a_double_tap():
    calls = _service_calls_through_run_service()
    assert any(call.endswith("goal_rename") for call in calls)  # the scan sees the views' calls
    assert [call for call in calls if CREATES.search(call)] == []
