"""jupyterhub_config.py read the way JupyterHub reads it, in both modes (no hub started)."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

LOAD = """
import json, sys
from traitlets.config.loader import PyFileConfigLoader
c = PyFileConfigLoader('jupyterhub_config.py', path=sys.argv[1]).load_config()
def plain(v):
    if isinstance(v, (set, tuple)): return sorted(plain(x) for x in v)
    if isinstance(v, dict): return {str(k): plain(x) for k, x in v.items()}
    if isinstance(v, list): return [plain(x) for x in v]
    return v if isinstance(v, (str, int, float, bool, type(None))) else repr(v)
print(json.dumps({s: {k: plain(v) for k, v in c[s].items()} for s in c}))
"""


def load(tmp_path: Path, **env: str) -> dict:
    roster = {"instructors": ["ada"], "students": ["bo", "cy"]}
    (tmp_path / "roster.json").write_text(json.dumps(roster))
    proc = subprocess.run([sys.executable, "-c", LOAD, str(REPO)], capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "TINYTORCH_HUB_ROOT": str(tmp_path), **env})
    if proc.returncode != 0:
        raise AssertionError(proc.stderr + proc.stdout)
    return json.loads(proc.stdout)


def test_embedded_mode(tmp_path):
    c = load(tmp_path)
    hub = c["JupyterHub"]
    assert hub["bind_url"] == "http://127.0.0.1:8000" and "ForkServerSpawner" in hub["spawner_class"]
    assert hub["authenticator_class"] == "pam" and c["Authenticator"]["allowed_users"] == ["ada", "bo", "cy"]
    assert hub["load_groups"] == {"formgrade-tinytorch": {"users": ["ada"]},
                                  "nbgrader-tinytorch": {"users": ["bo", "cy"]}}
    roles = {r["name"]: r for r in hub["load_roles"]}
    assert "access:services!service=tinytorch" in roles["formgrade-tinytorch"]["scopes"]
    assert not any(s.startswith("access:services") for s in roles["nbgrader-tinytorch"]["scopes"])
    services = {s["name"]: s for s in hub["services"]}
    grader = services["tinytorch"]
    assert grader["user"] == "tinytorch-grader" and grader["url"].startswith("http://127.0.0.1:")
    assert "TINYTORCH_FORMGRADER_SANDBOX" in grader["environment"]
    assert "jupyterhub_idle_culler" in " ".join(services["idle-culler"]["command"])
    spawner = c["Spawner"]
    assert spawner["cmd"] == [str(tmp_path / "student-env/bin/jupyterhub-singleuser")]
    assert spawner["environment"]["TINYTORCH_MODE"] == "student"
    assert "VIRTUAL_ENV" not in spawner["env_keep"] and "PATH" not in spawner["env_keep"]
    fork = c["ForkServerSpawner"]
    assert fork["forkserver_python"] == str(tmp_path / "student-env/bin/python")
    assert fork["forkserver_socket"].startswith(str(tmp_path / "state") + "/")  # root-only folder
    assert fork["forkserver_environment"]["PATH"] == spawner["environment"]["PATH"]
    # per-user values (formgrader and report URLs for instructors) are the spawner's, never the fork server's
    assert spawner["environment"]["TINYTORCH_REPORT_URL"].startswith("<function")
    assert not any(v.startswith("<function") for v in fork["forkserver_environment"].values())
    # The hub's anti-framing policy is never relaxed (formgrader opens as a page of its own).
    assert "frame-ancestors" not in json.dumps(c)


def test_embedded_mode_without_fork_server(tmp_path):
    c = load(tmp_path, TINYTORCH_HUB_FORKSERVER="0")
    assert "PromptLocalProcessSpawner" in c["JupyterHub"]["spawner_class"] and "ForkServerSpawner" not in c


def test_production_mode(tmp_path):
    pytest.importorskip("dockerspawner")
    c = load(tmp_path, TINYTORCH_HUB_MODE="docker", TINYTORCH_AUTHENTICATOR="github")
    assert c["JupyterHub"]["spawner_class"].endswith("SystemUserSpawner'>")
    assert c["SystemUserSpawner"]["run_as_root"] is True
    docker = c["DockerSpawner"]
    assert docker["allowed_images"] == {"TinyTorch": "tinytorch/singleuser:latest"}
    assert docker["volumes"]["tinytorch-exchange"] == "/srv/nbgrader/exchange"
    assert docker["mem_limit"] == "2G" and docker["cpu_limit"] == 1.0
    assert c["JupyterHub"]["authenticator_class"] == "github"


def test_unknown_mode_and_public_dummy_are_refused(tmp_path):
    for env, message in (({"TINYTORCH_HUB_MODE": "kubernetes"}, "expected local or docker"),
                         ({"TINYTORCH_AUTHENTICATOR": "dummy", "TINYTORCH_HUB_IP": "10.0.0.5"},
                          "refusing to start: dummy authentication on 10.0.0.5")):
        with pytest.raises(AssertionError, match=message):
            load(tmp_path, **env)
    assert load(tmp_path, TINYTORCH_AUTHENTICATOR="dummy")["JupyterHub"]["authenticator_class"] == "dummy"


def test_tito_hub_start_needs_setup(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "tito", "hub", "start", "--root", str(tmp_path)], cwd=REPO,
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "not set up: run `tito hub setup` first" in proc.stderr or "as root" in proc.stderr


def test_a_hub_started_with_sigint_ignored_passes_the_default_on(tmp_path):
    """Started in the background (nohup, `cmd &`), a process begins with SIGINT ignored; the hub's
    services and fork server would inherit that and ignore the SIGINT JupyterHub stops them with
    (a shutdown then took ~60 s instead of ~3 s). Reading the config restores the default."""
    (tmp_path / "roster.json").write_text(json.dumps({"instructors": [], "students": []}))
    probe = ("import signal, sys; from traitlets.config.loader import PyFileConfigLoader; "
             "before = signal.getsignal(signal.SIGINT); "
             "PyFileConfigLoader('jupyterhub_config.py', path=sys.argv[1]).load_config(); "
             "print(before is signal.SIG_IGN, signal.getsignal(signal.SIGINT) is signal.SIG_IGN)")
    proc = subprocess.run([sys.executable, "-c", probe, str(REPO)], capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "TINYTORCH_HUB_ROOT": str(tmp_path),
                               "TINYTORCH_HUB_FORKSERVER": "0"},
                          preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["True", "False"]
