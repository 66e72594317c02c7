"""The tree shows the architecture (DESIGN.md, "Architecture"): every import points down.

Between apps: config, standards → accounts → coaching → districts, dashboard. Inside an app: models at
the bottom, then helpers over models, selectors, services, then tasks, forms and views, then urls. A
module imports only lower layers, so no two modules can import each other. The test reads the source
(no import runs), so an arrow that points up fails here before it fails at run time.
"""

import ast
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
APP_LAYER = {"config": 0, "standards": 0, "accounts": 1, "coaching": 2, "districts": 3, "dashboard": 3}
# The composition root wires every app together; it is above them all.
COMPOSITION_ROOT = {"config.settings", "config.urls", "config.wsgi", "config.asgi"}
MODULE_LAYER = {
    "apps": 0,
    "models": 0,
    "celery": 1,  # config: the Celery app and `enqueue` (by task name, through the outbox)
    "jobs": 1,  # config: what long jobs share (retries, locks, deadlines)
    "health": 2,  # config: the checks behind /healthz
    "catalog": 1,  # standards as data, loaded by a migration
    "spreadsheets": 1,  # config: the one CSV writer
    "text": 1,  # config: one-line text for headers and calendar lines
    "log_filters": 1,  # config: redaction of secrets in log records
    "charts": 1,  # dashboard: SVG chart geometry
    "rollups": 1,  # config: the hook the writing services call, the read model listens to
    "scoping": 1,  # visibility, from the models' `reach`
    "sites": 1,  # config: where people reach Cadence, for links given out
    "sql": 1,  # config: the quoted names and parameters of the selectors' cursor reads
    "moves": 1,  # coaching: what a page offers next, from the state machine's rules
    "audit": 1,
    "permissions": 1,
    "checks": 1,  # the roster's row checks
    "selectors": 2,
    "invitations": 2,  # calendar events of steps: kept by the services, e-mailed by a task; the feed
    "exports": 2.5,  # dashboard: each dashboard's CSV sections, from the selectors (for views and services)
    "services": 3,
    "digests": 3,  # dashboard: the digest e-mails the periodic task sends
    "tasks": 4,
    "forms": 4,
    "tables": 4,  # districts: the caseloads page's long tables, written in Python
    "middleware": 4,
    "signin": 5,  # accounts: axes hooks; districts: single sign-on (allauth adapter, sign-in page)
    "views": 5,
    "submission": 5,  # config: the template tag of a one-click form's submission key
    "fields": 5,  # config: `as_field`, the filter bar fields crispy would write
    "error_summary": 5,  # config: the template tag of a long form's error summary
    "admin": 5,
    "urls": 6,
    "demo": 7,  # a management command
    "rebuild_rollups": 7,  # a management command
    "generate_district": 7,  # a management command
}


def _modules() -> dict[str, Path]:
    found = {}
    for app in APP_LAYER:
        for path in (ROOT / app).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if "tests" in parts or "migrations" in parts or parts[-1] == "__init__":
                continue
            found[".".join(parts)] = path
    return found


def _imports(path: Path) -> set[str]:
    """The project modules `path` imports (`from a.b import c` counts a.b.c when that is a module)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in names if name.split(".")[0] in APP_LAYER}


def _layer(module: str) -> tuple[int, int]:
    if module in COMPOSITION_ROOT:
        return (99, 0)
    basename = module.rsplit(".", 1)[-1]
    if basename not in MODULE_LAYER:
        pytest.fail(f"{module}: say in MODULE_LAYER which layer a module called {basename!r} belongs to.")
    return APP_LAYER[module.split(".")[0]], MODULE_LAYER[basename]


MODULES = _modules()


@pytest.mark.parametrize("module", sorted(MODULES))
def test_it_imports_only_lower_layers(module):
    app_layer, layer = _layer(module)
    app = module.split(".")[0]
    upward = []
    for imported in sorted(_imports(MODULES[module]) & set(MODULES)):
        other_app_layer, other_layer = _layer(imported)
        if imported.split(".")[0] == app:
            if other_layer >= layer and (app_layer, layer) != (99, 0):
                upward.append(f"{imported} (same app, layer {other_layer} ≥ {layer})")
        elif other_app_layer >= app_layer and app_layer != 99:
            upward.append(f"{imported} (app layer {other_app_layer} ≥ {app_layer})")
    assert not upward, f"{module} imports upwards: " + "; ".join(upward)


def test_it_finds_every_app_and_its_layers():
    """The walk above really reads the tree: each app's models and views are there."""
    for app in ("accounts", "coaching", "districts", "dashboard"):
        assert f"{app}.views" in MODULES
    assert {"districts.roster.services", "accounts.scoping", "config.celery"} <= set(MODULES)
    assert "coaching.models" in _imports(MODULES["coaching.services"])
