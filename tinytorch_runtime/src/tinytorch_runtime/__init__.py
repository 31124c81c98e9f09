"""tinytorch_runtime: lets module N import what the student built in modules < N.

    from tinytorch_runtime import export_module, extend, where
"""
from .course import Course, CourseFileError, Module, load_course
from .export import export_module
from .extend import extend, extensions
from .finder import install as _install_import_hook
from .finder import where

_install_import_hook()

__all__ = ["Course", "CourseFileError", "Module", "load_course", "export_module", "extend",
           "extensions", "where"]
