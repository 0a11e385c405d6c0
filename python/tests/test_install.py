"""meson install puts the package where Debian's Python looks, beside the
library, and the installed package finds the installed library."""

import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    root = tmp_path_factory.mktemp("destdir")
    subprocess.run(["meson", "install", "-C", os.environ["AM_BUILD_ROOT"], "--no-rebuild",
                    "--quiet", "--destdir", str(root)], check=True, capture_output=True)
    return root


def test_package_lands_on_the_python_path_with_its_type_marker(installed):
    [init] = installed.rglob("aidmatch/__init__.py")
    package = init.parent
    for name in ("py.typed", "_cdef.py", "_lib.py", "errors.py", "records.py", "run.py",
                 "_install.py"):
        assert (package / name).is_file(), name
    site = "/" + str(package.parent.relative_to(installed))
    assert site in sys.path, f"{site} is not on {sys.executable}'s path"


def test_installed_package_loads_the_installed_library(installed):
    [init] = installed.rglob("aidmatch/__init__.py")
    namespace = {}
    exec((init.parent / "_install.py").read_text(), namespace)
    library = installed / namespace["LIBRARY"].lstrip("/")
    assert library.exists(), library
    env = {k: v for k, v in os.environ.items()
           if k not in ("AIDMATCH_LIBRARY", "PYTHONPATH", "LD_LIBRARY_PATH")}
    env["PYTHONPATH"] = str(init.parent.parent)
    env["LD_LIBRARY_PATH"] = str(library.parent)
    probe = ("import aidmatch, sys\n"
             "print(aidmatch.__file__)\n"
             "print(aidmatch.library_version())\n"
             "print(*sorted({l.split()[-1] for l in open('/proc/self/maps')\n"
             "               if 'libaidmatch' in l}))\n")
    done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True,
                          text=True, cwd=installed)
    assert done.returncode == 0, done.stderr
    where, version, loaded = done.stdout.splitlines()
    assert Path(where) == init
    assert version.count(".") == 2
    assert Path(loaded).resolve() == library.resolve()
