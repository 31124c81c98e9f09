"""Kernels of student servers (installed into <sys.prefix>/etc/jupyter).

A kernel talks to its server over Unix sockets in the student's private runtime folder, not
over loopback TCP: a kernel's output channel is a ZeroMQ PUB socket, signed but not encrypted,
so on a shared machine any user could subscribe to another student's kernel port and read the
code it runs and what it prints. No ports also means no port race when a whole class starts
kernels at once. (The Validate button's kernels: nbgrader_config.py.)
"""
import os

from jupyter_core.paths import jupyter_runtime_dir

c = get_config()  # noqa: F821 (provided by traitlets)

c.ServerKernelManager.transport = "ipc"

# A kernel's sockets are <runtime folder>/kernel-<36-character id>-ipc-<n>, and a Unix socket path
# has at most 107 characters: under a long home folder, the server (and what it starts) uses a
# short private runtime folder instead. The server reads this variable after its config files.
SOCKET_PATH_MAX = 107
LONGEST_SOCKET_NAME = len("/kernel-") + 36 + len("-ipc-9")
if len(jupyter_runtime_dir()) + LONGEST_SOCKET_NAME > SOCKET_PATH_MAX:
    short = os.path.join(os.path.expanduser("~"), ".jk")
    os.makedirs(short, mode=0o700, exist_ok=True)
    os.environ["JUPYTER_RUNTIME_DIR"] = short

# Instructors' JupyterLab shows Formgrader and Cohort report entries in the Launcher (tinytorch-lab): the
# hub passes their addresses to instructors' servers only (jupyterhub_config.py).
# A plain dict: jupyterhub-singleuser looks into ServerApp.tornado_settings and fails on traitlets'
# lazy `.update()` value (the server then starts without its hub extension).
tornado_settings = dict(c.ServerApp.tornado_settings) if "tornado_settings" in c.ServerApp else {}
tornado_settings["page_config_data"] = {
    **tornado_settings.get("page_config_data", {}),
    "tinytorchFormgraderUrl": os.environ.get("TINYTORCH_FORMGRADER_URL", ""),
    "tinytorchReportUrl": os.environ.get("TINYTORCH_REPORT_URL", ""),
}
c.ServerApp.tornado_settings = tornado_settings

# Students install nothing from the browser: JupyterLab's read-only extension manager, not the PyPI
# one, which also builds an HTTPS client at start (half of a forked server's start-up CPU).
c.LabApp.extension_manager = "readonly"
