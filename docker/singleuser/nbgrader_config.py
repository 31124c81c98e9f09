"""nbgrader configuration for student servers (installed into <sys.prefix>/etc/jupyter).

Students never hold a course directory: they only fetch, submit and read feedback
through the exchange. Which courses a student sees comes from the hub's
`nbgrader-<course>` groups (JupyterHubAuthPlugin), so one image serves every course.
"""
import os
import secrets

from jupyter_core.paths import jupyter_runtime_dir

c = get_config()  # noqa: F821 (provided by traitlets)

c.Exchange.root = os.environ.get("TINYTORCH_EXCHANGE", "/srv/nbgrader/exchange")
c.Exchange.path_includes_course = True
c.Authenticator.plugin_class = "nbgrader.auth.JupyterHubAuthPlugin"
# Submission folders open to the student and the instructors' group only (tinytorch_runtime/exchange.py).
c.ExchangeFactory.submit = "tinytorch_runtime.exchange.PrivateSubmit"

# The Validate button's kernel runs the whole notebook: like the server's kernels
# (jupyter_server_config.py) it talks over Unix sockets in the student's private runtime
# folder, never over loopback TCP where another user could subscribe to its output. The
# socket path must be absolute (the kernel and nbgrader may run in different folders) and
# fresh per run (this file is read again for each validation).
c.AsyncKernelManager.transport = "ipc"
c.AsyncKernelManager.ip = os.path.join(jupyter_runtime_dir(), f"validate-{secrets.token_hex(8)}")
os.makedirs(jupyter_runtime_dir(), mode=0o700, exist_ok=True)
