"""JupyterHub configuration for the TinyTorch course (placeholder).

The hub is its own issue ("The course on a real JupyterHub"): DockerSpawner in production,
a local-process spawner with one system user per student as the embedded default. Until it
lands, this file only records the environment every student server must get so that the
runtime finds the course file and exports land in the student's home.
"""
import os

c = get_config()  # noqa: F821 (provided by JupyterHub)

c.Spawner.environment = {
    "TINYTORCH_COURSE": os.environ.get("TINYTORCH_COURSE", "/srv/tinytorch/course.yml"),
    "TINYTORCH_MODE": "student",
    "TINYTORCH_REFERENCE": os.environ.get("TINYTORCH_REFERENCE", "/srv/tinytorch/provided"),
}
