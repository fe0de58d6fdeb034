"""The deploy's health wait: bounded, and its failure says why, without a secret."""

import socket

import pytest

from vedb.provision.wait_healthy import main, mask

# pragma: allowlist nextline secret
LINE = 'NC_DB="pg://127.0.0.1:5432?u=nocodb&p=s3cret&d=nocodb" postgresql://u:s3cret@h/db'


def test_mask_hides_url_credentials_and_password_values() -> None:
    masked = mask(LINE + " password=s3cret token=abc")
    assert "s3cret" not in masked and "abc" not in masked
    assert "postgresql://u:***@h/db" in masked and "u=nocodb" in masked


def test_a_closed_port_fails_within_the_bound_and_names_the_unit(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert main([f"http://127.0.0.1:{port}/health", "0.6", "--unit", "vedb-nothing.service"]) == 1
    err = capsys.readouterr().err
    assert f"http://127.0.0.1:{port}/health not healthy after 0.6 s" in err
    assert "vedb-nothing.service:" in err
