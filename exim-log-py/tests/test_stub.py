"""The typed stub (__init__.pyi) matches the runtime module."""

from __future__ import annotations

import ast
import importlib.util
import inspect
import pathlib
import subprocess
import sys

import pytest

import exim_log
from conftest import in_ci

PKG = pathlib.Path(exim_log.__file__).parent


def stub_tree() -> ast.Module:
    return ast.parse((PKG / "__init__.pyi").read_text())


def test_stub_and_marker_are_installed() -> None:
    assert (PKG / "__init__.pyi").is_file()
    assert (PKG / "py.typed").is_file()


def test_public_names_match() -> None:
    tree = stub_tree()
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    public = {n for n in names if not n.startswith("_")} | {"__version__"}
    assert public == set(exim_log.__all__)
    for name in public:
        assert hasattr(exim_log, name), name


def test_class_members_match() -> None:
    for node in stub_tree().body:
        if not isinstance(node, ast.ClassDef):
            continue
        cls = getattr(exim_log, node.name)
        for item in node.body:
            if isinstance(item, ast.FunctionDef) and not item.name.startswith("__"):
                assert hasattr(cls, item.name), f"{node.name}.{item.name}"
            if isinstance(item, ast.AnnAssign) and node.name == "ParseError":
                err = exim_log.ParseError("x")
                with pytest.raises(AttributeError):
                    getattr(err, item.target.id)  # set only when raised by the parser
        # Everything public at runtime is in the stub.
        stubbed = {i.name for i in node.body if isinstance(i, ast.FunctionDef)}
        stubbed |= {
            i.target.id
            for i in node.body
            if isinstance(i, ast.AnnAssign) and isinstance(i.target, ast.Name)
        }
        own = set(vars(cls)) if node.name != "ParseError" else set()
        missing = {n for n in own if not n.startswith("_")} - stubbed
        assert not missing, f"{node.name}: not in the stub: {missing}"


def test_function_signatures_match() -> None:
    for node in stub_tree().body:
        if not isinstance(node, ast.FunctionDef):
            continue
        runtime = inspect.signature(getattr(exim_log, node.name))
        stub_params = [a.arg for a in node.args.posonlyargs + node.args.args]
        stub_kwonly = [a.arg for a in node.args.kwonlyargs]
        rt_pos = [
            p.name
            for p in runtime.parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
        rt_kwonly = [p.name for p in runtime.parameters.values() if p.kind == p.KEYWORD_ONLY]
        assert (stub_params, stub_kwonly) == (rt_pos, rt_kwonly), node.name


def test_mypy_stubtest() -> None:
    if importlib.util.find_spec("mypy") is None:
        if in_ci():
            pytest.fail("mypy is required under CI (scripts/test-python installs it)")
        pytest.skip("mypy not installed")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy.stubtest",
            "exim_log",
            "--allowlist",
            str(pathlib.Path(__file__).with_name("stubtest-allowlist.txt")),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
