"""tinytorch_runtime: export, the import hook's resolution order, grading mode, extensions.

Each scenario runs in a fresh interpreter (as a kernel would) against a throwaway course."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest

COURSE = """
course_id: toy
modules:
  - {id: 01_base, title: Base, tier: foundation}
  - {id: 02_addon, title: Addon, tier: foundation, requires: [01_base], extends: [01_base]}
  - {id: 03_user, title: User, tier: foundation, requires: [01_base]}
provided_references: PROVIDED
grading: {prerequisites: POLICY}
"""
BASE = "WHO = '{who}'\nclass Thing:\n    pass\n"
ADDON = textwrap.dedent("""
    from tinytorch.base import Thing
    from tinytorch_runtime import extend

    @extend(Thing)
    def grad(self):
        return "grad from addon"
""")


class Toy:
    def __init__(self, root: Path, provided=(), policy="reference"):
        self.root, self.store, self.ref = root, root / "store", root / "reference"
        (root / "course.yml").write_text(
            COURSE.replace("PROVIDED", json.dumps(list(provided))).replace("POLICY", policy))

    def put(self, where: Path, name: str, text: str):
        path = where / "tinytorch" / f"{name}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    def run(self, code: str, mode="student", module=None, cwd=None) -> subprocess.CompletedProcess:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TINYTORCH_")}
        env.update(TINYTORCH_COURSE=str(self.root / "course.yml"), TINYTORCH_MODE=mode,
                   TINYTORCH_STORE=str(self.store), TINYTORCH_REFERENCE=str(self.ref))
        if module:
            env["TINYTORCH_MODULE"] = module
        return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env, cwd=cwd or self.root,
                              capture_output=True, text=True, timeout=120)


def import_error(proc) -> str:
    assert proc.returncode != 0, proc.stdout
    return proc.stderr.strip().splitlines()[-1]


@pytest.fixture
def toy(tmp_path):
    return Toy(tmp_path)


def test_own_export_is_preferred_over_a_provided_reference(tmp_path):
    toy = Toy(tmp_path, provided=["01_base"])
    toy.put(toy.store, "base", BASE.format(who="own"))
    toy.put(toy.ref, "base", BASE.format(who="reference"))
    proc = toy.run("from tinytorch.base import WHO; print(WHO)")
    assert proc.stdout.strip() == "own", proc.stderr


def test_reference_only_when_the_course_provides_it(tmp_path):
    toy = Toy(tmp_path, provided=[])
    toy.put(toy.ref, "base", BASE.format(who="reference"))
    message = import_error(toy.run("import tinytorch.base"))
    assert message == ("ImportError: tinytorch.base comes from module 01_base, which you have not exported yet. "
                       "Open 01_base/01_base.ipynb, complete it, run its last cell (export), "
                       "then restart this kernel.")
    provided = Toy(tmp_path, provided=["01_base"])
    assert provided.run("from tinytorch.base import WHO; print(WHO)").stdout.strip() == "reference"


def test_unknown_module_lists_the_course_modules(toy):
    message = import_error(toy.run("import tinytorch.nothing"))
    assert "there is no tinytorch.nothing in this course; modules are: base, addon, user" in message


def test_grading_mode_reference_policy_ignores_the_students_store(tmp_path):
    toy = Toy(tmp_path, provided=[], policy="reference")
    toy.put(toy.store, "base", BASE.format(who="own"))
    toy.put(toy.ref, "base", BASE.format(who="reference"))
    proc = toy.run("from tinytorch.base import WHO; print(WHO)", mode="grading", module="03_user")
    assert proc.stdout.strip() == "reference", proc.stderr


def test_grading_mode_own_policy_uses_the_graded_export(tmp_path):
    toy = Toy(tmp_path, policy="own")
    toy.put(toy.ref, "base", BASE.format(who="reference"))
    message = import_error(toy.run("import tinytorch.base", mode="grading", module="03_user"))
    assert "the student's graded export (grading policy 'own'): grade 01_base for this student first" in message
    toy.put(toy.store, "base", BASE.format(who="own"))
    assert toy.run("from tinytorch.base import WHO; print(WHO)", mode="grading").stdout.strip() == "own"


def test_a_broken_export_gives_one_clear_message_not_a_traceback_wall(toy):
    toy.put(toy.store, "base", "import math\n\nx = undefined_name + 1\n")
    proc = toy.run("import tinytorch.base")
    message = import_error(proc)
    assert "tinytorch.base (your export," in message
    assert "does not import: NameError: name 'undefined_name' is not defined (line 3: x = undefined_name + 1)" in message
    assert "Fix the cell in 01_base/01_base.ipynb, re-run its export cell" in message
    assert len(proc.stderr.strip().splitlines()) < 12, proc.stderr


def test_syntax_error_in_export_names_the_line(toy):
    toy.put(toy.store, "base", "def f(:\n    pass\n")
    assert "SyntaxError" in import_error(toy.run("import tinytorch.base")) and "(line 1: def f(:)" in import_error(
        toy.run("import tinytorch.base"))


class TestExtensions:
    """05_autograd extends 01's Tensor; here 02_addon extends 01_base's Thing."""

    def test_extension_loads_with_the_base_in_later_modules_without_importing_it(self, toy):
        toy.put(toy.store, "base", BASE.format(who="own"))
        toy.put(toy.store, "addon", ADDON)
        proc = toy.run("from tinytorch.base import Thing; print(Thing().grad())", module="03_user")
        assert proc.stdout.strip() == "grad from addon", proc.stderr

    def test_not_applied_while_the_extending_module_is_being_built(self, toy):
        toy.put(toy.store, "base", BASE.format(who="own"))
        toy.put(toy.store, "addon", ADDON)
        proc = toy.run("from tinytorch.base import Thing; print(hasattr(Thing, 'grad'))", module="02_addon")
        assert proc.stdout.strip() == "False", proc.stderr

    def test_base_works_before_the_extension_exists(self, toy):
        toy.put(toy.store, "base", BASE.format(who="own"))
        proc = toy.run("from tinytorch.base import Thing; print(hasattr(Thing, 'grad'))", module="03_user")
        assert proc.stdout.strip() == "False", proc.stderr

    def test_a_broken_extension_warns_and_keeps_the_base(self, toy):
        toy.put(toy.store, "base", BASE.format(who="own"))
        toy.put(toy.store, "addon", "raise RuntimeError('half-written autograd')\n")
        proc = toy.run("from tinytorch.base import Thing; print(hasattr(Thing, 'grad'))", module="03_user")
        assert proc.stdout.strip() == "False"
        assert "loaded without the extension from 02_addon" in proc.stderr
        assert "RuntimeError: half-written autograd" in proc.stderr

    def test_an_extension_of_two_modules_loads_once_both_are_complete(self, tmp_path):
        """05_autograd extends 01 and 02, and 02 imports 01: importing 02 first loads 01 half-way
        through 02; the extension must wait for 02 instead of failing on a half-loaded module."""
        root = tmp_path
        (root / "course.yml").write_text(textwrap.dedent("""
            course_id: toy
            modules:
              - {id: 01_base, title: Base, tier: foundation}
              - {id: 02_other, title: Other, tier: foundation, requires: [01_base]}
              - {id: 03_addon, title: Addon, tier: foundation, requires: [01_base, 02_other],
                 extends: [01_base, 02_other]}
              - {id: 04_user, title: User, tier: foundation}
        """))
        toy = Toy.__new__(Toy)
        toy.root, toy.store, toy.ref = root, root / "store", root / "reference"
        toy.put(toy.store, "base", BASE.format(who="own"))
        toy.put(toy.store, "other", "from tinytorch.base import Thing\nclass Other:\n    pass\n")
        toy.put(toy.store, "addon", textwrap.dedent("""
            from tinytorch.base import Thing
            from tinytorch.other import Other
            from tinytorch_runtime import extend
            extend(Thing, name="grad")(lambda self: "thing grad")
            extend(Other, name="grad")(lambda self: "other grad")
        """))
        proc = toy.run("""
            import warnings
            warnings.simplefilter("error")
            from tinytorch.other import Other
            from tinytorch.base import Thing
            print(Thing().grad(), "/", Other().grad())
        """, module="04_user")
        assert proc.stdout.strip() == "thing grad / other grad", proc.stderr

    def test_registry_records_what_was_attached(self, toy):
        toy.put(toy.store, "base", BASE.format(who="own"))
        toy.put(toy.store, "addon", ADDON)
        proc = toy.run("""
            from tinytorch.base import Thing
            from tinytorch_runtime import extensions
            print([(e.cls.__name__, e.attribute, e.defined_in) for e in extensions(Thing)])
        """, module="03_user")
        assert proc.stdout.strip() == "[('Thing', 'grad', 'tinytorch.addon')]", proc.stderr

    def test_extend_attaches_properties_and_rejects_non_classes(self, toy):
        proc = toy.run("""
            from tinytorch_runtime import extend
            class A: pass
            @extend(A)
            @property
            def twice(self): return 2
            print(A().twice)
            try:
                extend(A())
            except TypeError as e:
                print("TypeError")
        """)
        assert proc.stdout.split() == ["2", "TypeError"], proc.stderr


def write_notebook(folder: Path, module_id: str, cells: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells] + [nbformat.v4.new_markdown_cell("#| export\nnot code")]
    path = folder / f"{module_id}.ipynb"
    nbformat.write(nb, path)
    return path


class TestExport:
    def test_exports_marked_cells_in_order_and_says_so_in_one_line(self, toy):
        folder = toy.root / "01_base"
        write_notebook(folder, "01_base", [
            "#| export\nimport math\nclass Thing:\n    ### BEGIN SOLUTION\n    pass\n    ### END SOLUTION",
            "assert True  # a test cell: not exported",
            "#| export\n@__import__('tinytorch_runtime').extend(Thing)\ndef area(self):\n    return math.pi",
        ])
        proc = toy.run("from tinytorch_runtime import export_module; export_module('01_base');", cwd=folder)
        lines = proc.stdout.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("✅ 01_base: exported 2 cells"), proc.stdout + proc.stderr
        assert "imports cleanly as tinytorch.base" in lines[0]
        text = (toy.store / "tinytorch" / "base.py").read_text()
        assert "assert True" not in text and "#| export" not in text and "not code" not in text
        assert text.index("class Thing") < text.index("def area")
        proc = toy.run("from tinytorch.base import Thing; print(round(Thing().area(), 2))", module="03_user")
        assert proc.stdout.strip() == "3.14", proc.stderr

    def test_an_export_that_does_not_import_names_the_notebook_cell(self, toy):
        folder = toy.root / "01_base"
        write_notebook(folder, "01_base", ["#| export\nimport math", "x = 1", "#| export\ny = np.zeros(3)"])
        proc = toy.run("from tinytorch_runtime import export_module; print(export_module('01_base'))", cwd=folder)
        first, result = proc.stdout.strip().splitlines()
        assert first.startswith("❌ 01_base: the export does not import") and "(notebook cell 3)" in first, first
        assert "NameError: name 'np' is not defined" in first and result == "False"
        assert "nothing was written" in first and not (toy.store / "tinytorch" / "base.py").exists()

    def test_a_broken_export_keeps_the_previous_good_file(self, toy):
        folder = toy.root / "01_base"
        write_notebook(folder, "01_base", ["#| export\nWHO = 'good'"])
        toy.run("from tinytorch_runtime import export_module; export_module('01_base')", cwd=folder)
        write_notebook(folder, "01_base", ["#| export\nWHO = undefined"])
        proc = toy.run("from tinytorch_runtime import export_module; export_module('01_base')", cwd=folder)
        assert "the previous export in" in proc.stdout and "is unchanged" in proc.stdout, proc.stdout
        assert "WHO = 'good'" in (toy.store / "tinytorch" / "base.py").read_text()
        assert not list((toy.store / "tinytorch").glob(".*candidate*"))

    def test_an_export_with_release_stubs_says_which_cells(self, toy):
        folder = toy.root / "01_base"
        write_notebook(folder, "01_base", ["#| export\nimport math", "x = 1",
                                           "#| export\ndef f():\n    # YOUR CODE HERE\n    raise NotImplementedError()"])
        proc = toy.run("from tinytorch_runtime import export_module; print(export_module('01_base'))", cwd=folder)
        first, result = proc.stdout.strip().splitlines()
        assert first.startswith("⚠ 01_base: exported 2 cells") and "cell(s) 3 still raise NotImplementedError" in first
        assert "imports cleanly" not in first and result == "False"

    def test_missing_notebook_is_explained(self, toy):
        proc = toy.run("from tinytorch_runtime import export_module; export_module('01_base')")
        assert "cannot find 01_base.ipynb" in proc.stdout

    def test_where_tells_the_student_what_they_will_get(self, toy):
        toy.put(toy.store, "base", BASE.format(who="own"))
        proc = toy.run("from tinytorch_runtime import where; print(where('base')); print(where('addon'))")
        own, missing = proc.stdout.strip().splitlines()
        assert own.startswith("tinytorch.base: your export (") and "comes from module 02_addon" in missing
