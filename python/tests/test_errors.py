"""Errors: each failing status raises its own exception class, carrying
the status and the library's message (am_errmsg) word for word."""

import os

import pytest

import aidmatch
from aidmatch._lib import STATUS_NAMES, lib
from aidmatch.errors import AidmatchError, error_for


def test_every_status_of_the_header_has_its_own_class():
    classes = {}
    for status, name in STATUS_NAMES.items():
        if status == lib.AM_OK:
            continue
        error = error_for(status, name, "m")
        assert type(error) is not AidmatchError, f"{name} has no exception class"
        assert (error.status, error.status_name, error.message) == (status, name, "m")
        classes[type(error)] = name
    assert len(classes) == len(STATUS_NAMES) - 1


def test_an_error_pickles_whole():
    """As a Dask task's exception reaches the client: class, status and
    message survive."""
    import pickle
    for status, name in STATUS_NAMES.items():
        if status == lib.AM_OK:
            continue
        error = error_for(status, name, "f.csv:3: m")
        back = pickle.loads(pickle.dumps(error))
        assert type(back) is type(error)
        assert (back.status, back.status_name, back.message, str(back)) == \
            (status, name, "f.csv:3: m", "f.csv:3: m")


def test_a_status_the_bindings_do_not_know_still_raises_the_base_class():
    error = error_for(99, "status 99", "m")
    assert type(error) is AidmatchError and error.status == 99


def test_missing_centre_file_is_an_input_output_error(tmp_path):
    with pytest.raises(aidmatch.InputOutputError) as e:
        aidmatch.Run(tmp_path / "absent.ini")
    assert e.value.status == lib.AM_ERR_IO
    assert e.value.status_name == "AM_ERR_IO"
    assert e.value.message == f"{tmp_path / 'absent.ini'}: cannot open centre file: " \
                              "No such file or directory"
    assert str(e.value) == e.value.message


def test_bad_rules_are_a_format_error_with_file_and_line(data):
    with aidmatch.Run() as run:
        run.load_catalogue(data / "catalogue")
        with pytest.raises(aidmatch.FormatError) as e:
            run.load_rules_text("rule R1 exclusive DIBAO_URBAN vs DIBAO_URBN\n", name="my.rules")
    assert e.value.status == lib.AM_ERR_FORMAT
    assert e.value.message == "my.rules:1: expected an item code, got 'DIBAO_URBN'"


def test_a_key_readable_by_others_is_a_key_error_and_names_no_key(data, tmp_path):
    key = tmp_path / "open.key"
    key.write_bytes((data / "sample" / "sample.key").read_bytes())
    key.chmod(0o644)
    with aidmatch.Run() as run:
        with pytest.raises(aidmatch.KeyMaterialError) as e:
            run.load_key_file(key)
    assert e.value.status == lib.AM_ERR_KEY
    assert e.value.message == \
        f"{key}: key file is accessible to group or others (mode 644); run chmod 600 on it"


def test_reconcile_before_ingest_is_invalid_use():
    with aidmatch.Run() as run:
        with pytest.raises(aidmatch.InvalidUseError) as e:
            run.reconcile()
    assert e.value.status == lib.AM_ERR_INVALID
    assert e.value.message == "no catalogue loaded"


def test_generate_key_file_refuses_to_overwrite(tmp_path):
    path = tmp_path / "new.key"
    aidmatch.generate_key_file(path)
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    with aidmatch.Run() as run:
        run.load_key_file(path)
        assert len(run.key_fingerprint) == 16
    with pytest.raises(aidmatch.InputOutputError) as e:
        aidmatch.generate_key_file(path)
    assert str(path) in e.value.message
