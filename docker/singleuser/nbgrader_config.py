"""nbgrader configuration for student servers (installed into <sys.prefix>/etc/jupyter).

Students never hold a course directory: they only fetch, submit and read feedback
through the exchange. Which courses a student sees comes from the hub's
`nbgrader-<course>` groups (JupyterHubAuthPlugin), so one image serves every course.
"""
import os

c = get_config()  # noqa: F821 (provided by traitlets)

c.Exchange.root = os.environ.get("TINYTORCH_EXCHANGE", "/srv/nbgrader/exchange")
c.Exchange.path_includes_course = True
c.Authenticator.plugin_class = "nbgrader.auth.JupyterHubAuthPlugin"
# Submission folders open to the student and the instructors' group only (tinytorch_runtime/exchange.py).
c.ExchangeFactory.submit = "tinytorch_runtime.exchange.PrivateSubmit"
