"""The package students build. Its modules are resolved by tinytorch_runtime's import hook:
`tinytorch.tensor` is the student's export of 01_tensor (or, where the course allows,
the instructor reference)."""
import tinytorch_runtime  # noqa: F401  (installs the import hook)

__path__ = []  # no files here: every submodule comes from the hook
