"""nbgrader configuration for the TinyTorch course (read by nbgrader's apps and by `tito`)."""
import os
from pathlib import Path

c = get_config()  # noqa: F821 (provided by traitlets when nbgrader loads this file)

COURSE_ROOT = Path(__file__).resolve().parent

c.CourseDirectory.course_id = "tinytorch"
c.CourseDirectory.root = str(COURSE_ROOT)
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "release"
# Never copy authoring files (the jupytext text form NN_name.py, the mistake catalogue, checkpoints,
# caches) out of source/.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback",
                            "[0-9][0-9]_*.py", ".jupytext*", "mistakes.yml"]

c.Exchange.root = os.environ.get("TINYTORCH_EXCHANGE", "/srv/nbgrader/exchange")
# exchange/<course_id>/{inbound,outbound,feedback}: one exchange can serve several courses
# (students see their courses through the hub groups nbgrader-<course_id>).
c.Exchange.path_includes_course = True
# Collect without following links, taking only the module's files (nbgrader's copytree follows them).
c.ExchangeFactory.collect = "tito.grading.exchange.SafeCollect"

# Release: stubs students see in place of solutions.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Autograde: a runaway cell is interrupted; huge outputs are cut.
c.Execute.timeout = int(os.environ.get("TINYTORCH_CELL_TIMEOUT", "60"))
c.Execute.interrupt_on_timeout = True
c.Execute.kill_grace = int(os.environ.get("TINYTORCH_KILL_GRACE", "10"))  # then SIGKILL (tito's Execute)
c.Execute.kernel_name = os.environ.get("TINYTORCH_GRADING_KERNEL", "python3")
# Formgrader's autograde button (the hub's grader service) grades in the same sandbox as
# `tito autograde`: the hub sets TINYTORCH_FORMGRADER_SANDBOX to a private folder for the
# kernel's IPC sockets (a sandboxed kernel has no network, not even loopback).
FORMGRADER_SANDBOX = os.environ.get("TINYTORCH_FORMGRADER_SANDBOX")
if FORMGRADER_SANDBOX:
    c.Execute.kernel_name = "tinytorch-sandbox"
    c.KernelManager.transport = "ipc"
    c.KernelManager.ip = os.path.join(FORMGRADER_SANDBOX, "kernel")
    c.SandboxPolicy.enabled = True
    c.SandboxPolicy.ipc_dir = FORMGRADER_SANDBOX
c.LimitOutput.max_lines = 200
c.LimitOutput.max_traceback = 30
# nbgrader's default autograde steps, plus a cap on characters per output (LimitOutput counts lines)
# and the judge: test cells are scored by what the student's code computed, judged in another process.
# TINYTORCH_JUDGE=0 switches the judge off: only for benchmarks/autograde_speed.py's comparison.
c.Judge.enabled = os.environ.get("TINYTORCH_JUDGE", "1") != "0"
# nbgrader's sanitize steps; its OverwriteCells knows what the release handed out, so an untouched
# test cell with hidden tests is not reported as changed (tito.grading.preprocessors.OverwriteCells).
c.Autograde.sanitize_preprocessors = [
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "tito.grading.preprocessors.OverwriteCells",
    "nbgrader.preprocessors.CheckCellMetadata",
]
c.Autograde.autograde_preprocessors = [
    "tito.grading.preprocessors.SandboxPolicy",
    "tito.grading.preprocessors.Execute",  # nbgrader's, plus SIGKILL when an interrupted cell does not stop
    "tito.grading.preprocessors.ReclaimWorkdir",  # before the grader writes where the student's code could
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "tito.grading.preprocessors.CapOutput",
    "tito.grading.preprocessors.GuardPartialCredit",
    "tito.grading.judge.Judge",  # decides the test cells outside the kernel (docs/grading.md)
    "nbgrader.preprocessors.SaveAutoGrades",
    "tito.grading.judge.RecordIntegrity",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]

# Feedback: students see test cells without hidden tests, and no traceback bodies from test cells
# (a traceback quotes the failing hidden assert).
# GetGrades: nbgrader's, plus which answers still wait for a person (the page says "awaiting grading").
c.GenerateFeedback.preprocessors = [
    "tito.grading.feedback.GetGrades",
    "tito.grading.feedback.HideHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
# The feedback page: nbgrader's template, extended (tito/grading/templates/tinytorch_feedback). Set for
# GenerateFeedback's exporter only (formgrader's own pages use HTMLExporter with other templates, and
# its Generate Feedback button sets HTMLExporter.template_name itself); nbgrader's template folder is
# listed because nbgrader adds it only when none is configured.
import nbgrader  # noqa: E402
import tito.grading.feedback  # noqa: E402

c.GenerateFeedback.HTMLExporter.template_name = "tinytorch_feedback"
c.GenerateFeedback.HTMLExporter.template_file = "feedback.html.j2"
c.GenerateFeedback.HTMLExporter.extra_template_basedirs = [
    os.path.join(os.path.dirname(nbgrader.__file__), "server_extensions", "formgrader", "templates"),
    str(tito.grading.feedback.TEMPLATES),
]
