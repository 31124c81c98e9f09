"""`tito build` / `tito check`: text form -> notebook, validation, release, references."""
from __future__ import annotations

import nbformat

from tinytorch_runtime.export import render_module, write_atomically

from ..course_dir import CourseDir, CourseError
from ..nbgrader_apps import run_app
from . import testlint, text_form, validate


def _modules(cd: CourseDir, modules: list[str] | None) -> list[str]:
    authored = cd.authored_modules()
    if not modules:
        return authored
    missing = [m for m in modules if m not in authored]
    if missing:
        raise CourseError(f"no source for {', '.join(missing)} (expected source/<id>/<id>.py)")
    return modules


def check(cd: CourseDir, modules: list[str] | None = None) -> list[str]:
    """Problems with the sources: drift between forms and notebook validation."""
    problems = []
    for m in _modules(cd, modules):
        d = text_form.drift(cd.source_text(m), cd.source_notebook(m))
        if d:
            problems.append(f"{m}: {d}")
        nb = text_form.notebook_from_text(cd.source_text(m).read_text())
        problems += validate.validate_source(nb, m)
        problems += testlint.problems(nb, m)
    return problems


def check_mistakes(cd: CourseDir, modules: list[str] | None = None, log=print, show_messages: bool = False) -> list[str]:
    """Apply every module's catalogued mistakes and judge them (needs the references: `tito build`)."""
    from . import mistakes

    problems = []
    for m in _modules(cd, modules):
        results, found = mistakes.check_module(cd, m)
        for r in results:
            log(r.line())
            if show_messages and r.message:
                log("      " + r.message.replace("\n", "\n      "))
        problems += found
    return problems


def sync(cd: CourseDir, modules: list[str] | None = None) -> list[str]:
    """Regenerate source notebooks from their text form; the modules that changed."""
    return [m for m in _modules(cd, modules) if text_form.sync_to_notebook(cd.source_text(m), cd.source_notebook(m))]


def generate_release(cd: CourseDir, module_id: str) -> list[str]:
    """nbgrader generate_assignment, then check the release it wrote."""
    run_app(cd, "generate_assignment", module_id, "--force")
    source = nbformat.read(cd.source_notebook(module_id), as_version=4)
    release = nbformat.read(cd.release_notebook(module_id), as_version=4)
    return validate.validate_release(source, release, module_id)


def build_reference(cd: CourseDir, module_id: str) -> None:
    """The instructor reference tinytorch/<name>.py: the export cells with solutions in place."""
    module = cd.course.module(module_id)
    nb = nbformat.read(cd.source_notebook(module_id), as_version=4)
    exported = render_module(nb, module, f"{module_id}.ipynb (instructor reference)")
    write_atomically(cd.reference_dir / "tinytorch" / f"{module.name}.py", exported.text)


def stale_modules(cd: CourseDir, modules: list[str], manifest, code: str, log=print) -> list[str]:
    """The modules whose inputs or outputs changed since their last build (build_state.py)."""
    from .build_state import registered_in_gradebook

    if manifest.code and manifest.code != code:
        log("  the build code (tito, tinytorch_runtime) or nbgrader/jupytext changed since the last build")
    registered = registered_in_gradebook(cd) or set()
    stale = [m for m in modules if m not in registered or not manifest.up_to_date(m, code)]
    unchanged = [m for m in modules if m not in stale]
    if unchanged:
        log(f"  unchanged since the last build (--force rebuilds): {', '.join(unchanged)}")
    return stale


def build(cd: CourseDir, modules: list[str] | None = None, log=print, force: bool = False) -> None:
    from .build_state import BuildManifest, code_version

    modules = _modules(cd, modules)
    manifest, code = BuildManifest(cd), code_version()
    modules = modules if force else stale_modules(cd, modules, manifest, code, log)
    if not modules:
        return  # sync and check below read every module when given none
    for m in modules:
        manifest.forget(m)  # a build that fails half-way leaves nothing claiming to be current
    for m in sync(cd, modules):
        log(f"  regenerated source/{m}/{m}.ipynb from {m}.py")
    problems = check(cd, modules)
    if problems:
        raise CourseError("the sources have problems:\n  " + "\n  ".join(problems))
    for m in modules:
        found = generate_release(cd, m)
        build_reference(cd, m)
        if not found:
            manifest.record(m, code)
        problems += found
        log(f"  {m}: release/{m}/{m}.ipynb and the reference tinytorch.{cd.course.module(m).name} are up to date")
    if problems:
        raise CourseError("the release has problems:\n  " + "\n  ".join(problems))
