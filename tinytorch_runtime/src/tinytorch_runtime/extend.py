"""Adding behaviour to a class defined in an earlier cell or an earlier module.

    @extend(Tensor)
    def __add__(self, other): ...

is how 01_tensor grows Tensor step by step, and how 05_autograd adds gradients to
01's Tensor. Which modules extend which is declared in course.yml (`extends:`), and
the import hook loads those extensions right after the module they extend, so the
result never depends on import order.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Extension:
    cls: type
    attribute: str
    defined_in: str


_registry: list[Extension] = []


def _attribute_name(obj) -> str:
    if isinstance(obj, property):
        obj = obj.fget
    if isinstance(obj, (staticmethod, classmethod)):
        obj = obj.__func__
    return obj.__name__


def _defining_module(obj) -> str:
    if isinstance(obj, property):
        obj = obj.fget
    if isinstance(obj, (staticmethod, classmethod)):
        obj = obj.__func__
    return getattr(obj, "__module__", "?")


def extend(cls: type, name: str | None = None):
    """Decorator: attach a function, property, staticmethod or classmethod to `cls`."""
    if not isinstance(cls, type):
        raise TypeError(f"extend() takes the class to extend, got {cls!r}")

    def attach(obj):
        attribute = name or _attribute_name(obj)
        setattr(cls, attribute, obj)
        _registry.append(Extension(cls, attribute, _defining_module(obj)))
        return obj

    return attach


def extensions(cls: type | None = None) -> list[Extension]:
    """What has been attached so far (to `cls`, or to any class)."""
    return [e for e in _registry if cls is None or e.cls is cls]
