"""The examples of docs/python.md, run as doctests against the sample."""

import doctest

from conftest import SOURCE


def test_examples_in_the_python_docs(centre, tmp_path):
    failures, tried = doctest.testfile(
        str(SOURCE / "docs" / "python.md"), module_relative=False,
        globs={"centre": centre, "out": tmp_path},
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, report=True)
    assert tried > 20
    assert failures == 0
