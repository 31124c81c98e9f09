"""The course on a real embedded hub, driven by a real browser (Debian's chromium via Playwright).

Student: logs in -> sees 01_tensor in the assignment list -> fetches it -> (does the work) ->
opens the notebook in JupyterLab -> runs a cell importing tinytorch_runtime -> submits.
Instructor: logs in -> formgrader (top-level page, CSP frame-ancestors 'none' kept) ->
collects -> autogrades -> generates and releases feedback. Student: fetches feedback and
sees the score. Screenshots of every step land in test-artifacts/ when a step fails.
"""
from __future__ import annotations

import os
import re
from contextlib import contextmanager
from pathlib import Path

import nbformat
import pytest

from hub_harness import INSTRUCTOR, OTHER, REPO, STUDENT, Hub

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
ARTIFACTS = REPO / "test-artifacts"
FORMGRADER = "/services/tinytorch/formgrader"
REPORT = "/services/tinytorch/report"
TIMEOUT_MS = 90_000

@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail("Debian's chromium is not installed (scripts/test.sh installs it)")
        pytest.skip("Debian's chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


class Person:
    """One browser context (own cookies) for one hub user; screenshots on failure."""

    def __init__(self, browser, hub: Hub, user: str, request):
        self.hub, self.user = hub, user
        self.context = browser.new_context(viewport={"width": 1400, "height": 900})
        self.context.set_default_timeout(TIMEOUT_MS)
        self.page = self.context.new_page()
        self.test = request.node.name

    @contextmanager
    def step(self, name: str):
        try:
            yield self.page
        except Exception:
            ARTIFACTS.mkdir(exist_ok=True)
            shot = ARTIFACTS / f"{self.test}-{self.user}-{name}.png"
            self.page.screenshot(path=str(shot), full_page=True)
            print(f"screenshot of the failed step: {shot}\nhub log:\n{self.hub.log_tail(40)}")
            raise

    def log_in(self):
        with self.step("login") as page:
            page.goto(f"{self.hub.url}/hub/login")
            page.fill("#username_input", self.user)
            page.fill("#password_input", self.hub.passwords[self.user])
            page.click("#login_submit")
            if self.user == INSTRUCTOR:  # instructors land on formgrader (jupyterhub_config.py)
                page.wait_for_url(f"**{FORMGRADER}**")
                page.wait_for_selector("text=Manage Assignments")
            else:
                page.wait_for_url(f"**/user/{self.user}/lab**")
                page.wait_for_selector("#jp-main-dock-panel")

    def open_assignment_list(self):
        with self.step("assignment-list") as page:
            page.get_by_role("menuitem", name="Nbgrader").click()
            page.get_by_role("menuitem", name="Assignment List").click()
            page.wait_for_selector("#released_assignments_list")

    def close(self):
        self.context.close()


def do_the_work(hub: Hub, user: str) -> None:
    """What the student types, written into the fetched notebook as that student."""
    from tito.simulated_cohort import Profile, make_notebook

    fetched = Path(f"/home/{user}/tinytorch/01_tensor/01_tensor.ipynb")
    assert fetched.exists(), f"fetch did not create {fetched}"
    source = nbformat.read(hub.course / "source/01_tensor/01_tensor.ipynb", as_version=4)
    solved = make_notebook(source, nbformat.read(fetched, as_version=4), Profile("correct"))
    text = nbformat.writes(solved)
    hub.as_user(user, "/bin/sh", "-c", f"cat > '{fetched}'", input=text, check=True)


def run_import_cell(page) -> str:
    """Insert a cell above the first one, run it, return its output."""
    page.get_by_text("Python 3 (ipykernel) | Idle").wait_for()  # the kernel is up
    page.locator(".jp-Notebook .jp-Cell").first.click()
    page.keyboard.press("Escape")
    page.keyboard.press("a")
    page.keyboard.press("Enter")
    page.keyboard.type("import tinytorch_runtime; print('RUNTIME AT', tinytorch_runtime.__file__)")
    output = page.locator(".jp-OutputArea-output", has_text="RUNTIME AT").first
    for attempt in range(3):  # a run sent while the kernel connection settles can be dropped: send again
        page.locator(".jp-Notebook .jp-Cell").first.click()
        page.keyboard.press("Shift+Enter")
        try:
            output.wait_for(timeout=20_000)
            break
        except Exception:
            if attempt == 2:
                raise
    page.keyboard.press("Control+s")
    page.wait_for_selector("text=Saving completed")
    return output.inner_text()


def close_modal(page, kind: str = "success-modal") -> str:
    modal = page.locator(f"#{kind}")
    modal.wait_for(state="visible")
    text = modal.inner_text()
    modal.locator(".modal-footer button", has_text="OK").first.click()
    modal.wait_for(state="hidden")
    return text


@pytest.mark.slow
def test_student_and_instructor_journeys(hub, browser, request):
    alice = Person(browser, hub, STUDENT, request)
    alice.log_in()
    alice.open_assignment_list()
    with alice.step("fetch") as page:
        released = page.locator("#released_assignments_list")
        released.locator(".list_item", has_text="01_tensor").first.wait_for()
        released.locator("button", has_text="Fetch").click()
        page.locator("#fetched_assignments_list .list_item", has_text="01_tensor").first.wait_for()
    do_the_work(hub, STUDENT)
    with alice.step("open-notebook") as page:
        page.locator("#fetched_assignments_list a.assignment-notebooks-link").click()
        page.locator("#fetched_assignments_list .nested_list_item a", has_text="01_tensor").click()
        page.wait_for_selector(".jp-Notebook .jp-Cell")
        output = run_import_cell(page)
        assert str(hub.root / "student-env") in output, output  # the student environment, not the checkout
    with alice.step("submit") as page:
        page.locator(".lm-TabBar-tab", has_text="Assignments").click()
        page.locator("#fetched_assignments_list button", has_text="Submit").click()
        page.locator("#submitted_assignments_list .list_item", has_text="01_tensor").first.wait_for()
    # JupyterLab kept a checkpoint of the saved notebook; the submission leaves it out
    assert Path(f"/home/{STUDENT}/tinytorch/01_tensor/.ipynb_checkpoints").is_dir()
    submitted = list((hub.root / "exchange" / "tinytorch" / "inbound").glob(f"{STUDENT}+01_tensor+*"))
    assert submitted and not [p for p in submitted if (p / ".ipynb_checkpoints").exists()], submitted

    prof = Person(browser, hub, INSTRUCTOR, request)
    prof.log_in()
    with prof.step("formgrader") as page:
        response = page.goto(f"{hub.url}/services/tinytorch/formgrader")
        assert response.status == 200
        # The hub's anti-framing policy stays on: formgrader is a page of its own, never an iframe.
        assert "frame-ancestors 'none'" in response.headers.get("content-security-policy", "")
        row = page.locator("tr", has_text="01_tensor").first
        row.wait_for()
    with prof.step("collect") as page:
        row.locator("td.collect a").click()
        assert "Successfully collected" in close_modal(page)
        page.reload()
        some = re.compile(r"^\s*[1-9]\d*\s*$")  # alice's, and bob's if the isolation tests ran first
        page.locator("tr", has_text="01_tensor").first.locator("td.num-submissions", has_text=some).first.wait_for()
    with prof.step("autograde") as page:
        page.goto(f"{hub.url}/services/tinytorch/formgrader/manage_submissions/01_tensor")
        student_row = page.locator("tr", has_text=STUDENT).first
        student_row.locator("td.autograde a").click()
        student_row.locator("td.status .label-info, td.status .label-success").first.wait_for()
        score = student_row.locator("td.score").inner_text()
    with prof.step("feedback") as page:
        page.goto(f"{hub.url}/services/tinytorch/formgrader/manage_assignments")
        row = page.locator("tr", has_text="01_tensor").first
        row.locator("td.generate-feedback a").click()
        close_modal(page)
        row.locator("td.release-feedback a").click()
        close_modal(page)

    with alice.step("fetch-feedback") as page:
        page.reload()
        page.wait_for_selector("#jp-main-dock-panel")
        alice.open_assignment_list()
        submitted = page.locator("#submitted_assignments_list")
        submitted.locator("button", has_text="Fetch Feedback").click()
        submitted.locator("a", has_text="view feedback").first.wait_for()
    feedback = list(Path(f"/home/{STUDENT}/tinytorch/01_tensor/feedback").rglob("01_tensor.html"))
    assert feedback, "no feedback file in the student's home"
    html = feedback[0].read_text()
    got, total = map(float, re.search(r"Score:\s*([\d.]+)\s*/\s*([\d.]+)", html).groups())
    assert (got, total) == (85.0, 100.0), (got, total, score)
    assert "BEGIN HIDDEN TESTS" not in html and "BEGIN SOLUTION" not in html
    with alice.step("view-feedback") as page:
        # nbgrader's link only moves the file browser; tinytorch-lab opens the page, trusted
        page.locator("#submitted_assignments_list a", has_text="view feedback").first.click()
        page.locator(".lm-TabBar-tab", has_text="01_tensor.html").wait_for()
        frame = page.locator(".jp-HTMLViewer iframe").first
        assert "allow-scripts" in frame.get_attribute("sandbox")
        body = page.frame_locator(".jp-HTMLViewer iframe").first.locator("body")
        body.locator("text=awaiting grading").first.wait_for()
        assert "Score: 0.0 / 5.0" not in body.inner_text()  # written answers nobody graded yet
    alice.close()
    prof.close()


@pytest.mark.slow
def test_instructor_reads_the_cohort_report_and_a_student_cannot(hub, browser, request):
    """The report as the formgrader service serves it (tito/reporting/report_server.py): the gradebook's figures,
    every image decoded by the browser, no console error, a strict CSP; a student gets 403."""
    import datetime as dt

    from test_report import check_report_matches_gradebook

    from tito.course_dir import CourseDir

    report_url = f"{hub.url}/services/tinytorch/report"
    prof = Person(browser, hub, INSTRUCTOR, request)
    problems = []
    prof.page.on("console", lambda msg: problems.append(msg.text) if msg.type in ("error", "warning") else None)
    prof.page.on("pageerror", lambda exc: problems.append(str(exc)))
    prof.page.on("requestfailed", lambda req: problems.append(f"{req.url[:80]}: {req.failure}"))
    with prof.step("report") as page:
        page.goto(f"{hub.url}/hub/login?next=/services/tinytorch/report")  # a bookmarked report
        page.fill("#username_input", INSTRUCTOR)
        page.fill("#password_input", hub.passwords[INSTRUCTOR])
        page.click("#login_submit")
        page.wait_for_url(report_url)
        page.wait_for_selector("#completion")
        response = page.reload()
        assert response.status == 200
        policy = response.headers.get("content-security-policy", "")
        assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy, policy
        images = page.eval_on_selector_all(
            "img", "imgs => imgs.map(i => ({id: i.id, complete: i.complete, width: i.naturalWidth}))")
        assert {i["id"] for i in images} == {"fig-completion", "fig-scores", "fig-hardest"}
        assert all(i["complete"] and i["width"] > 100 for i in images), images
        assert not problems, problems
        now = dt.datetime.now(dt.timezone.utc)
        check_report_matches_gradebook(CourseDir(hub.root / "grader" / "course"), page.content(), now)
    prof.close()

    alice = hub.login(STUDENT)
    r = alice.get(report_url, timeout=60)
    assert r.status_code == 403 and "completion" not in r.text, r.status_code


@pytest.mark.slow
def test_first_day_lands_each_role_where_its_work_starts(hub, browser, request):
    """A student lands on the assignment list (and finds it in the Launcher), an instructor on formgrader
    (and finds it in their JupyterLab's Launcher); the instructor reaches the cohort report from formgrader's
    navigation and from the Launcher, a student's Launcher has neither entry; no Jupyter news pop-up, no
    request for /lsp/status."""
    bob = Person(browser, hub, OTHER, request)  # a student whose JupyterLab no browser test opened before
    failed = []
    bob.page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    bob.page.on("console", lambda m: failed.append(m.text) if "lsp" in m.text.lower() else None)
    bob.log_in()
    with bob.step("lands-on-assignments") as page:
        page.locator(".lm-TabBar-tab.lm-mod-current", has_text="Assignments").wait_for()
        page.locator("#released_assignments_list .list_item", has_text="01_tensor").first.wait_for()
    with bob.step("no-news") as page:
        news = page.request.get(f"{hub.url}/user/{OTHER}/lab/api/settings/@jupyterlab/apputils-extension:notification")
        # overrides.json becomes the setting's default (a student may still change it)
        default = news.json()["schema"]["properties"]["fetchNews"]["default"] if news.ok else None
        assert default == "false", news.text()
        page.wait_for_timeout(8000)  # unconfigured, JupyterLab asks ~5 s after the page loads
        assert page.get_by_text("official Jupyter news").count() == 0
    with bob.step("launcher") as page:
        page.locator("#jp-main-dock-panel .lm-TabBar-addButton:not(.lm-mod-hidden)").first.click()
        page.locator(".jp-LauncherCard", has_text="Assignment List").click()
        page.locator(".lm-TabBar-tab.lm-mod-current", has_text="Assignments").wait_for()
        assert page.locator(".jp-LauncherCard", has_text="Formgrader").count() == 0
        assert page.locator(".jp-LauncherCard", has_text="Cohort report").count() == 0
    assert not [f for f in failed if "/lsp/" in f or "lsp" in f.lower()], failed
    bob.close()

    prof = Person(browser, hub, INSTRUCTOR, request)
    prof.log_in()  # lands on formgrader
    with prof.step("report-from-formgrader") as page:
        page.get_by_role("link", name="Cohort report").click()
        expect_cohort_report(page)
    with prof.step("formgrader-in-launcher") as page:
        page.goto(f"{hub.url}/hub/spawn")  # their own JupyterLab
        page.wait_for_url(f"**/user/{INSTRUCTOR}/lab**")
        card = page.locator(".jp-LauncherCard", has_text="Formgrader")
        with page.context.expect_page() as opened:
            card.click()
        formgrader = opened.value
        formgrader.wait_for_url(f"**{FORMGRADER}**")
        formgrader.wait_for_selector("text=Manage Assignments")
    with prof.step("report-in-launcher") as page:
        with page.context.expect_page() as opened:
            page.locator(".jp-LauncherCard", has_text="Cohort report").click()
        expect_cohort_report(opened.value)
    prof.close()


def expect_cohort_report(page) -> None:
    """The page is tito/reporting/report_server.py's report, rendered (title and completion table)."""
    page.wait_for_url(f"**{REPORT}")
    page.locator("h1", has_text="Cohort report:").wait_for()
    page.locator("#completion").wait_for()
