"""The cohort report in the formgrader service: a Jupyter server extension answering
`<service>/report` (on the hub: /services/tinytorch/report) with `tito report`'s page, rendered on
each request from the gradebook of the course the service serves (the grader account's).

Who may open it is who may open formgrader: the hub admits only users holding
`access:services!service=tinytorch` (the formgrade group: instructors, TAs); students get 403.
Enabled as Jupyter extensions are, by tito/report_server.json in the grader environment's
etc/jupyter/jupyter_server_config.d/ (`tito hub setup`; docker/hub/Dockerfile for the hub image).
"""
from __future__ import annotations

import asyncio
from pathlib import Path

from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.utils import url_path_join
from tornado import web

from .course_dir import CourseDir, CourseError


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
        self.finish(page)


def _jupyter_server_extension_points():
    return [{"module": "tito.report_server"}]


def _load_jupyter_server_extension(serverapp) -> None:
    web_app = serverapp.web_app
    route = url_path_join(web_app.settings["base_url"], "report")
    web_app.add_handlers(".*$", [(route, ReportHandler)])
    serverapp.log.info("tito: cohort report at %s", route)
