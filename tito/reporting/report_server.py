"""The cohort report in the formgrader service: a Jupyter server extension answering
`<service>/report` (on the hub: /services/tinytorch/report) with `tito report`'s page, rendered on
each request from the gradebook of the course the service serves (the grader account's).

Who may open it is who may open formgrader: the hub admits only users holding
`access:services!service=tinytorch` (the formgrade group: instructors, TAs); students get 403.
Enabled as Jupyter extensions are, by tito/reporting/report_server.json in the grader environment's
etc/jupyter/jupyter_server_config.d/ (`tito hub setup`; docker/hub/Dockerfile for the hub image).
Formgrader's navigation gets a "Cohort report" link to it.
"""
from __future__ import annotations

import asyncio
import html
import re
from pathlib import Path

from jinja2 import ChoiceLoader, DictLoader
from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.utils import url_path_join
from tornado import web

from ..course_dir import CourseDir, CourseError


def render_page(course_root: Path) -> str:
    from .report import build_report
    from .report_page import render

    return render(build_report(CourseDir.find(course_root)))


class ReportHandler(JupyterHandler):
    @property
    def content_security_policy(self) -> str:
        from .report_page import CONTENT_SECURITY_POLICY

        return CONTENT_SECURITY_POLICY

    @web.authenticated
    async def get(self):
        root = Path(self.settings["server_root_dir"])
        try:  # seconds for a large cohort: off the event loop, so formgrader stays responsive
            page = await asyncio.get_running_loop().run_in_executor(None, render_page, root)
        except CourseError as e:
            raise web.HTTPError(404, f"no cohort report: {e}") from None
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(with_formgrader_link(page, url_path_join(self.base_url, "formgrader")))


def with_formgrader_link(page: str, formgrader_url: str) -> str:
    """The served page leads back to formgrader (the file `tito report` writes stands alone)."""
    link = f'<p><a id="tinytorch-formgrader-link" href="{html.escape(formgrader_url)}">&larr; Formgrader</a></p>'
    return page.replace("<body>", "<body>" + link, 1)


def _jupyter_server_extension_points():
    return [{"module": "tito.reporting.report_server"}]


# Formgrader's pages name their navigation links in base.tpl's `sidebar` block, and each page replaces
# that block with its own copy: the report's link goes right after the block, inside the same list.
SIDEBAR_BLOCK = re.compile(r"{%-?\s*block sidebar\s*-?%}.*?{%-?\s*endblock\s*-?%}", re.DOTALL)
REPORT_LINK = ('<li role="presentation">'
               '<a id="tinytorch-report-link" href="{{ base_url }}/report">Cohort report</a></li>')


def link_report_from_formgrader(settings: dict, log) -> None:
    """Add the report to formgrader's navigation. nbgrader 0.9 loads formgrader's templates from its own
    folder only (no template path to configure), so its jinja environment gets a patched base.tpl first."""
    env = settings.get("nbgrader_jinja2_env")
    if env is None:  # formgrader is switched off: nothing to link from
        return
    base, _, _ = env.loader.get_source(env, "base.tpl")
    patched, found = SIDEBAR_BLOCK.subn(lambda m: m.group(0) + REPORT_LINK, base, count=1)
    if not found:
        log.warning("tito: formgrader's base.tpl has no sidebar block; formgrader shows no link to the report")
        return
    env.loader = ChoiceLoader([DictLoader({"base.tpl": patched}), env.loader])


def _load_jupyter_server_extension(serverapp) -> None:
    web_app = serverapp.web_app
    route = url_path_join(web_app.settings["base_url"], "report")
    web_app.add_handlers(".*$", [(route, ReportHandler)])
    # Jupyter loads extensions in the order of their names: nbgrader's formgrader is loaded by now.
    link_report_from_formgrader(web_app.settings, serverapp.log)
    serverapp.log.info("tito: cohort report at %s", route)
