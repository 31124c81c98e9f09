"""One-module workshops end to end on the embedded hub, with nbgrader's real apps.

For each workshop module (hub_harness.workshop_modules; TINYTORCH_WORKSHOPS=all runs every one),
on the one session hub: `tito workshop MODULE` writes the workshop course, `tito hub setup` and
`tito hub release` serve it; a student who never did an earlier module fetches MODULE through their
own server, their kernel imports every earlier module it builds on from the provided references
(MODULE's own reference is nowhere they can read), they solve, validate and submit; the grader
collects. Then every workshop is autograded, and each scores full marks with only its module graded.
The session hub serves its own course again afterwards.
"""
from __future__ import annotations

import json
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from conftest import tito
from hub_harness import workshop_modules, workshop_student
from tito import simulated_cohort
from tito.authoring import validate
from tito.course_dir import CourseDir

COURSE_ID = "tinytorch"
MODULES = workshop_modules()
ENVIRONMENT_CANARY = "class TinyTorchFinder(importlib.abc.MetaPathFinder):"  # the runtime, in every environment
MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
PROBE = """
import importlib, json
found = {}
for name in %r:
    try:
        module = importlib.import_module("tinytorch." + name)
        found[name] = {"origin": module.__tinytorch_origin__, "file": module.__file__}
    except ImportError as e:
        found[name] = {"error": str(e)}
print("PROBE " + json.dumps(found))
"""


@dataclass
class Workshop:
    module: str
    student: str
    dest: Path
    origin: Path  # the course the workshop was written from
    course: CourseDir = None
    provided_files: list[str] = field(default_factory=list)
    fetched: list[str] = field(default_factory=list)
    probe: dict = field(default_factory=dict)
    scan: dict = field(default_factory=dict)  # what the student's grep found: canary and secrets
    validation: dict = field(default_factory=dict)
    seconds: dict = field(default_factory=dict)
    autograde: str = ""


def needs(course, module_id: str) -> set[str]:
    """What module_id requires or extends, transitively (derived here, not with tito's code)."""
    module = course.module(module_id)
    return {d for dep in (*module.requires, *module.extends) for d in {dep, *needs(course, dep)}}


def outsider(course, module_id: str) -> str:
    """An earlier module the workshop does not build on: students must not get its reference either."""
    return next(m for m in course.module_ids if m not in needs(course, module_id) | {module_id})


def secrets(ws: Workshop) -> list[str]:
    """Lines only the instructor has: MODULE's solution and hidden-test lines, and the header of its
    reference file, leaving out lines that a release (any module's) or a provided reference also holds."""
    source = nbformat.read(ws.course.source_notebook(ws.module), as_version=4)
    releases = [nbformat.read(p, as_version=4) for p in sorted((ws.origin / "release").glob("*/*.ipynb"))]
    public = "\n".join(c.source for release in releases for c in release.cells) + "\n".join(
        (ws.course.reference_dir / "tinytorch" / f"{ws.course.course.module(m).name}.py").read_text()
        for m in ws.course.course.provided_references)
    lines = {line for line in validate.solution_bodies(source) + validate.hidden_test_bodies(source)
             if len(line) >= 20 and line not in public}
    return sorted(lines) + [f"{ws.module}.ipynb (instructor reference)"]


def canary(ws: Workshop) -> str:
    """A line of the release the student can read (their fetched copy): proves the scan reads it."""
    release = nbformat.read(ws.course.release_notebook(ws.module), as_version=4)
    return max((line for c in release.cells if c.cell_type == "markdown" for line in c.source.splitlines()),
               key=len)


def as_stored(line: str) -> set[str]:
    """The line as a .py file holds it, and as a notebook's JSON does (quotes and backslashes escaped)."""
    return {line, json.dumps(line, ensure_ascii=False)[1:-1]}


def grep_as(hub, user: str, patterns: dict[str, str], *places: str) -> dict[str, list[tuple[str, str]]]:
    """grep, as user, the places for the patterns: {kind: [(file, matched text)]}; patterns maps each
    stored form to its kind. `-f -`: patterns on stdin (reopening /dev/stdin, a pipe root made, is denied)."""
    r = hub.as_user(user, "grep", "-rsoF", "-f", "-", *places, input="\n".join(patterns))
    found: dict[str, list[tuple[str, str]]] = {}
    for hit in r.stdout.splitlines():
        path, _, text = hit.partition(":")
        found.setdefault(patterns.get(text, "?"), []).append((path, text))
    return found


def scan_as_student(hub, ws: Workshop) -> dict:
    """What of the workshop's course the student can read (course file, provided references, the
    exchange, their home, where the fetched release is) holds no line of MODULE's answer key."""
    kinds = {form: "secret" for line in secrets(ws) for form in as_stored(line)}
    kinds.update({form: "canary" for form in as_stored(canary(ws))})
    found = grep_as(hub, ws.student, kinds, *(str(hub.root / p) for p in ("course.yml", "provided", "exchange")),
                    f"/home/{ws.student}")
    return {"patterns": len(secrets(ws)), "canary": [f for f, _ in found.get("canary", [])],
            "secrets": [f"{f}: {t}" for f, t in found.get("secret", [])]}


def scan_student_environment(hub, workshops: dict[str, Workshop]) -> dict[str, list[str]]:
    """The students' Python environment (the image's, on the hub) holds no workshop module's answer
    key: no reference file header, and no file with several of its lines (one generic line such as
    `with np.errstate(invalid="ignore"):` is also in matplotlib). Once, for every workshop."""
    kinds = {form: ws.module for ws in workshops.values() for line in secrets(ws) for form in as_stored(line)}
    kinds[ENVIRONMENT_CANARY] = "canary"
    some = next(iter(workshops.values()))
    found = grep_as(hub, some.student, kinds, str(hub.root / "student-env"))
    leaks: dict[str, list[str]] = {"canary": [path for path, _ in found.pop("canary", [])]}
    for module, hits in found.items():
        header = f"{module}.ipynb (instructor reference)"
        lines_per_file: dict[str, set[str]] = {}
        for path, text in hits:
            lines_per_file.setdefault(path, set()).add(text)
        leaks[module] = sorted(f for f, lines in lines_per_file.items() if header in lines or len(lines) >= 3)
    return leaks


def run_probe(hub, session, base: str, headers: dict, ws: Workshop, names: list[str]) -> dict:
    """Import each tinytorch module in a kernel of the student's server, opened on the fetched notebook
    (so it runs where the student works), talking to it over the server's websocket as JupyterLab does."""
    import uuid

    import websocket

    r = session.post(f"{base}/api/sessions", json={"path": f"{COURSE_ID}/{ws.module}/{ws.module}.ipynb",
                                                    "name": f"{ws.module}.ipynb", "type": "notebook",
                                                    "kernel": {"name": "python3"}},
                     headers=headers, timeout=60)
    assert r.status_code == 201, r.text
    server_path = f"/user/{ws.student}/"
    cookies = "; ".join(f"{c.name}={c.value}" for c in session.cookies if server_path.startswith(c.path))
    channels = websocket.create_connection(
        f"{base.replace('http', 'ws', 1)}/api/kernels/{r.json()['kernel']['id']}/channels",
        header=[f"Cookie: {cookies}", f"X-XSRFToken: {headers['X-XSRFToken']}"], origin=hub.url, timeout=300)
    request = {"header": {"msg_id": uuid.uuid4().hex, "session": uuid.uuid4().hex, "username": ws.student,
                          "msg_type": "execute_request", "version": "5.3"},
               "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
               "content": {"code": PROBE % names, "silent": False, "store_history": False,
                           "user_expressions": {}, "allow_stdin": False}}
    printed: list[str] = []
    try:
        channels.send(json.dumps(request))
        while True:
            msg = json.loads(channels.recv())
            if msg["parent_header"].get("msg_id") != request["header"]["msg_id"]:
                continue
            if msg["msg_type"] == "stream":
                printed.append(msg["content"]["text"])
            elif msg["msg_type"] == "error":
                printed.append("\n".join(msg["content"]["traceback"]))
            elif msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                break
    finally:
        channels.close()
        session.delete(f"{base}/api/sessions/{r.json()['id']}", headers=headers, timeout=60)
    lines = [line for line in "".join(printed).splitlines() if line.startswith("PROBE ")]
    assert lines, "".join(printed)
    return json.loads(lines[0][len("PROBE "):])


def solve(hub, ws: Workshop) -> None:
    """What the student types: the reference solutions written into the fetched notebook, as them."""
    fetched = Path(f"/home/{ws.student}/{COURSE_ID}/{ws.module}/{ws.module}.ipynb")
    source = nbformat.read(ws.course.source_notebook(ws.module), as_version=4)
    release = nbformat.read(fetched, as_version=4)
    solved = simulated_cohort.make_notebook(source, release, simulated_cohort.Profile("correct"))
    hub.as_user(ws.student, "/bin/sh", "-c", f"cat > '{fetched}'", input=nbformat.writes(solved), check=True)


def run_workshop(hub, course: Path, module: str, dest: Path) -> Workshop:
    ws = Workshop(module, workshop_student(module), dest, course)
    clock = time.monotonic()
    tito("workshop", module, "--dest", str(dest), cwd=course)
    ws.course = CourseDir(dest)
    tito("--course-dir", str(dest), "hub", "setup", "--root", str(hub.root), cwd=dest)
    ws.seconds["workshop+hub setup"] = time.monotonic() - clock
    clock = time.monotonic()
    tito("--course-dir", str(dest), "hub", "release", module, "--root", str(hub.root), cwd=dest)
    ws.provided_files = sorted(p.name for p in (hub.root / "provided" / "tinytorch").iterdir())
    ws.seconds["hub release"] = time.monotonic() - clock

    clock = time.monotonic()
    hub.spawn(hub.login(ws.student), ws.student)
    session, base, headers = hub.server_session(ws.student)
    r = session.post(f"{base}/assignments/fetch", data={"course_id": COURSE_ID, "assignment_id": module},
                     headers=headers, timeout=120)
    assert r.status_code == 200 and r.json()["success"], r.text
    ws.fetched = sorted(p.name for p in Path(f"/home/{ws.student}/{COURSE_ID}/{module}").iterdir())
    ws.seconds["fetch"] = time.monotonic() - clock

    clock = time.monotonic()
    ws.scan = scan_as_student(hub, ws)
    ws.seconds["scan"] = time.monotonic() - clock

    clock = time.monotonic()
    names = [ws.course.course.module(m).name for m in (*ws.course.course.provided_references, module,
                                                       outsider(ws.course.course, module))]
    ws.probe = run_probe(hub, session, base, headers, ws, names)
    ws.seconds["probe"] = time.monotonic() - clock

    clock = time.monotonic()
    solve(hub, ws)
    r = session.post(f"{base}/assignments/validate", data={"path": f"{COURSE_ID}/{module}/{module}.ipynb"},
                     headers=headers, timeout=600)
    ws.validation = r.json()
    ws.seconds["validate"] = time.monotonic() - clock

    clock = time.monotonic()
    r = session.post(f"{base}/assignments/submit", data={"course_id": COURSE_ID, "assignment_id": module},
                     headers=headers, timeout=120)
    assert r.status_code == 200 and r.json()["success"], r.text
    from tito.hub import embedded as tito_hub

    tito_hub.run_as_grader(hub.root, "tito", "collect", module, capture=True)
    ws.seconds["submit+collect"] = time.monotonic() - clock
    return ws


def grade(hub, workshops: dict[str, Workshop]) -> float:
    """After the day the grader grades every workshop's submissions in one batch (its course folder);
    returns the batch's seconds."""
    from tito.hub import embedded as tito_hub

    clock = time.monotonic()
    out = tito_hub.run_as_grader(hub.root, "tito", "autograde", *workshops, "--jobs", "2", "--no-progress",
                                 capture=True).stdout
    for module, ws in workshops.items():
        ws.autograde = "\n".join(line for line in out.splitlines() if len(workshops) == 1 or line.startswith(module))
        seconds = re.search(rf"{ws.student} .* (\d+\.\d)s", ws.autograde)
        ws.seconds["autograde"] = float(seconds.group(1)) if seconds else float("nan")
    return time.monotonic() - clock


@pytest.fixture(scope="module")
def workshops(hub, tmp_path_factory) -> dict[str, Workshop]:
    base = tmp_path_factory.mktemp("workshops")
    done: dict[str, Workshop] = {}
    try:
        for module in MODULES:
            done[module] = run_workshop(hub, hub.course, module, base / module)
        environment = scan_student_environment(hub, done)
        for ws in done.values():
            ws.scan.update(environment=environment.get(ws.module, []), environment_canary=environment["canary"])
        batch = grade(hub, done)
    finally:  # the session hub serves its own course again
        tito("--course-dir", str(hub.course), "hub", "setup", "--root", str(hub.root), cwd=hub.course)
    for ws in done.values():
        print(f"workshop {ws.module}: " + ", ".join(f"{k} {v:.1f} s" for k, v in ws.seconds.items()))
        print("   " + ws.autograde.replace("\n", "\n   "))
    print(f"workshops: autograde batch of {len(done)} module(s) {batch:.1f} s")
    return done


def test_a_workshop_provides_exactly_what_its_module_builds_on():
    course = CourseDir(Path(__file__).resolve().parents[1]).course
    assert needs(course, "05_autograd") == {"01_tensor", "02_activations"}  # the onboarding guide's day
    for module in MODULES:
        assert module not in needs(course, module)


def instructor_copy(built: Path, dest: Path, module: str) -> Path:
    """What `tito workshop MODULE` reads of a built course, copied (the session's course stays as is)."""
    cd = CourseDir(built)
    dest.mkdir()
    for name in ("course.yml", "nbgrader_config.py"):
        shutil.copy2(built / name, dest / name)
    for folder in (cd.source_notebook(module).parent, cd.release_notebook(module).parent):
        shutil.copytree(folder, dest / folder.relative_to(built))
    references = [cd.reference_dir / "tinytorch" / f"{cd.course.module(m).name}.py"
                  for m in (*cd.prerequisites(module), module)]
    (dest / "build" / "reference" / "tinytorch").mkdir(parents=True)
    for ref in references:
        shutil.copy2(ref, dest / ref.relative_to(built))
    return dest


def test_bad_input_gets_one_line_and_a_non_zero_exit(built_course, tmp_path):
    course = instructor_copy(built_course, tmp_path / "course", "05_autograd")
    for args, message in [
        (("99_nope",), "unknown module '99_nope'"),
        (("12_attention",), "12_attention's workshop needs source/12_attention/12_attention.ipynb"),
        (("05_autograd", "--dest", str(course / "source")), "is inside the course itself"),
        (("05_autograd", "--dest", str(course.parent)), "is not empty and is not 05_autograd's workshop"),
    ]:
        r = tito("workshop", *args, cwd=course, check=False)
        assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr, (args, r.stderr)
        assert len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_serving_a_workshop_closes_the_course_it_was_written_from(built_course, tmp_path):
    """The checkout holds every module's solutions: students (users of the hub's machine) must not
    enter it, wherever the workshop folder is."""
    from tito.hub.embedded import make_checkout_private

    course = instructor_copy(built_course, tmp_path / "course", "05_autograd")
    tito("workshop", "05_autograd", "--dest", str(tmp_path / "ws"), cwd=course)
    again = tito("workshop", "05_autograd", "--dest", str(tmp_path / "ws"), cwd=course)  # refreshed in place
    assert "releases 05_autograd only" in again.stdout
    course.chmod(0o755)
    make_checkout_private(CourseDir(tmp_path / "ws"))
    assert course.stat().st_mode & 0o007 == 0 and (tmp_path / "ws").stat().st_mode & 0o007 == 0


@pytest.mark.parametrize("module", MODULES)
def test_the_workshop_course_releases_only_its_module(workshops, module):
    ws = workshops[module]
    course = ws.course.course
    assert course.released == (module,)
    assert set(course.provided_references) == needs(course, module)
    assert course.prerequisites_policy == "reference"
    assert sorted(p.relative_to(ws.dest / "release").as_posix() for p in (ws.dest / "release").rglob("*")
                  if p.is_file()) == [f"{module}/{module}.ipynb"]
    release = ws.course.release_notebook(module).read_text()
    assert not [m for m in MARKERS if m in release]
    assert f"{module}.ipynb (instructor reference)" not in release
    source = nbformat.read(ws.course.source_notebook(module), as_version=4)
    released = {line.strip() for c in nbformat.reads(release, as_version=4).cells for line in c.source.splitlines()}
    assert not set(validate.hidden_test_bodies(source)) & released
    assert not set(validate.solution_bodies(source)) & released


@pytest.mark.parametrize("module", MODULES)
def test_the_student_imports_earlier_modules_from_the_provided_references(workshops, hub, module):
    ws = workshops[module]
    course = ws.course.course
    provided = {course.module(m).name for m in needs(course, module)}
    assert ws.provided_files == sorted(f"{name}.py" for name in provided)
    for name in provided:
        assert ws.probe[name] == {"origin": "instructor reference",
                                  "file": str(hub.root / "provided" / "tinytorch" / f"{name}.py")}, ws.probe
    own = course.module(module).name
    assert "you have not exported yet" in ws.probe[own].get("error", ""), ws.probe[own]
    other = course.module(outsider(course, module)).name
    assert "you have not exported yet" in ws.probe[other].get("error", ""), ws.probe[other]


@pytest.mark.parametrize("module", MODULES)
def test_nothing_instructor_only_of_the_module_is_readable_by_the_student(workshops, hub, module):
    ws = workshops[module]
    assert ws.fetched == [f"{module}.ipynb"]
    assert ws.scan["patterns"] >= 20, ws.scan  # solution lines, hidden tests, the reference's header
    assert any(path.startswith(f"/home/{ws.student}/") for path in ws.scan["canary"]), ws.scan
    assert ws.scan["secrets"] == [], ws.scan["secrets"][:10]
    assert any("/student-env/" in path for path in ws.scan["environment_canary"]), ws.scan  # the scan reads it
    assert ws.scan["environment"] == [], ws.scan["environment"]


@pytest.mark.parametrize("module", MODULES)
def test_the_solved_notebook_validates_in_the_students_environment(workshops, module):
    ws = workshops[module]
    assert ws.validation["success"], ws.validation
    value = ws.validation["value"]
    assert not value.get("failed") and not value.get("changed"), value


@pytest.mark.parametrize("module", MODULES)
def test_autograde_grades_only_the_workshop_module_with_full_marks(workshops, hub, module):
    ws = workshops[module]
    assert re.search(rf"^(\S+ +)?graded +{ws.student} ", ws.autograde, re.M), ws.autograde
    assert "1 submissions: 1 graded" in ws.autograde, ws.autograde
    source = nbformat.read(ws.course.source_notebook(module), as_version=4)
    full = sum(simulated_cohort.test_cells_of(source).values())
    gradebook = hub.root / "grader" / "course" / "gradebook.db"
    with Gradebook(f"sqlite:///{gradebook}", COURSE_ID) as gb:
        submissions = gb.find_student(ws.student).submissions
        assert [s.assignment.name for s in submissions] == [module]
        assert submissions[0].score == pytest.approx(full), (submissions[0].score, full, ws.autograde)
