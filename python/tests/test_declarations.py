"""Drift: the bindings' declarations (aidmatch/_cdef.py) are checked
against include/aidmatch.h by the C compiler and against the shared
library's exports, so a header change not made in the bindings fails here.

The compiler gets the header, then every function declaration of the
bindings verbatim (a C compiler refuses a redeclaration with another
prototype), then static assertions of every struct's size and field
offsets and sizes and every enum and macro value as cffi computed them."""

import os
import re
import shlex
import subprocess

import pytest

from aidmatch._cdef import CDEF
from aidmatch._lib import ffi, lib
from conftest import SOURCE


def statements(cdef):
    """The top-level declarations of a cdef, each without its ';'."""
    out, depth, current = [], 0, []
    for line in cdef.splitlines():
        if depth == 0 and line.startswith("#define"):
            out.append(line)
            continue
        current.append(line)
        depth += line.count("{") - line.count("}")
        if depth == 0 and line.rstrip().endswith(";"):
            out.append("\n".join(current).strip().rstrip(";"))
            current = []
    return [s for s in out if s]


def functions(cdef):
    return [s for s in statements(cdef) if not s.startswith(("typedef", "#define"))]


def function_name(declaration):
    return re.search(r"(\w+)\s*\(", declaration).group(1)


def check_source(cdef, the_ffi, the_lib):
    # The bindings cover the experimental part of the header too.
    lines = ["#define AM_EXPERIMENTAL", '#include "aidmatch.h"', "#include <stddef.h>"]
    lines += [declaration + ";" for declaration in functions(cdef)]
    for struct in re.findall(r"typedef struct (\w+) \{", cdef):
        lines.append(f"_Static_assert(sizeof({struct}) == {the_ffi.sizeof(struct)}, "
                     f'"size of {struct}");')
        for field, info in the_ffi.typeof(struct).fields:
            lines.append(f"_Static_assert(offsetof({struct}, {field}) == "
                         f'{the_ffi.offsetof(struct, field)}, "{struct}.{field}");')
            lines.append(f"_Static_assert(sizeof((({struct} *)0)->{field}) == "
                         f'{the_ffi.sizeof(info.type)}, "size of {struct}.{field}");')
    for name in dir(the_lib):
        if name.isupper():
            lines.append(f'_Static_assert({name} == {getattr(the_lib, name)}, "{name}");')
    return "\n".join(lines) + "\n"


def compile_check(source, tmp_path):
    path = tmp_path / "bindings_check.c"
    path.write_text(source, encoding="utf-8")
    cc = shlex.split(os.environ.get("AIDMATCH_CC", "cc"))
    return subprocess.run(cc + ["-std=c11", "-fsyntax-only", "-Werror", "-Wall",
                                "-I", str(SOURCE / "include"), str(path)],
                          capture_output=True, text=True)


def test_every_declaration_agrees_with_the_header(tmp_path):
    done = compile_check(check_source(CDEF, ffi, lib), tmp_path)
    assert done.returncode == 0, done.stderr


def test_the_check_fails_on_a_changed_prototype_layout_or_value(tmp_path):
    import cffi
    drifted = [
        CDEF.replace("am_status am_ingest(am_ctx *ctx);",
                     "am_status am_ingest(am_ctx *ctx, int threads);"),
        CDEF.replace("    int64_t overlap_days;", "    int32_t overlap_days;"),
        CDEF.replace("    AM_ERR_LIMIT,", "    AM_ERR_LIMIT = 9,"),
        CDEF.replace("#define AM_MATCH_WITH_DUPLICATES 1", "#define AM_MATCH_WITH_DUPLICATES 2"),
    ]
    for cdef in drifted:
        assert cdef != CDEF
        other = cffi.FFI()
        other.cdef(cdef)
        done = compile_check(check_source(cdef, other, other.dlopen(None)), tmp_path)
        assert done.returncode != 0, cdef


def test_every_function_is_exported_by_the_library():
    names = [function_name(d) for d in functions(CDEF)]
    assert len(names) > 50
    assert sorted(names) == sorted(n for n in dir(lib) if not n.isupper())
    for name in names:
        assert callable(getattr(lib, name)), name


def test_every_exported_function_is_declared_in_the_header():
    exported = subprocess.run(["nm", "-D", "--defined-only", os.environ["AIDMATCH_LIBRARY"]],
                              capture_output=True, text=True, check=True).stdout
    header = (SOURCE / "include" / "aidmatch.h").read_text(encoding="utf-8")
    # nm names a versioned symbol NAME@@AIDMATCH_0.
    names = re.findall(r" T (am_\w+)(?:@@?\w+)?$", exported, re.M)
    assert len(names) > 50
    for name in names:
        assert re.search(rf"\b{name}\(", header), name


@pytest.mark.parametrize("name", ["am_reconcile", "am_snapshot_open"])
def test_a_function_missing_from_the_library_is_an_attribute_error(name):
    with pytest.raises(AttributeError):
        getattr(lib, name + "_gone")


def test_the_experimental_part_is_declared_only_with_am_experimental(tmp_path):
    use = "void *use(void); void *use(void) { return (void *)am_window_open; }\n"
    without = compile_check('#include "aidmatch.h"\n' + use, tmp_path)
    assert without.returncode != 0
    assert "am_window_open" in without.stderr
    # As zstd's header allows: included once without, then again with.
    again = compile_check('#include "aidmatch.h"\n#define AM_EXPERIMENTAL\n'
                          '#include "aidmatch.h"\n' + use, tmp_path)
    assert again.returncode == 0, again.stderr
    stable_only = compile_check('#include "aidmatch.h"\n'
                                "void *use(void); void *use(void) "
                                "{ return (void *)am_reconcile; }\n", tmp_path)
    assert stable_only.returncode == 0, stable_only.stderr
