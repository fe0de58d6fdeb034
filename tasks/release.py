"""The release on a host: the project's wheel in a venv, and the SQL files it reads."""

import hashlib

from pyinfra.api.deploy import deploy
from pyinfra.api.operation import OperationMeta
from pyinfra.context import host
from pyinfra.facts.files import FileContents
from pyinfra.operations import apt, files, pip, server

from vedb.provision.wheel import build_wheel
from vedb.settings import REPO_ROOT


@deploy("Release")
def release() -> list[OperationMeta]:
    """Returns the operations whose change means the API must restart."""
    root, venv = host.data.vedb_root, f"{host.data.vedb_root}/venv"
    apt.packages(
        name="Install Python's venv module",
        packages=["python3-venv"],
        update=True,
        cache_time=host.data.apt_cache_seconds,
    )
    server.user(  # noqa: S604 -- `shell` is the login shell, not a subprocess flag
        name=f"Create the unprivileged service user {host.data.service_user}",
        user=host.data.service_user,
        system=True,
        home=root,
        shell="/usr/sbin/nologin",
        ensure_home=False,
    )
    files.directory(name=f"Create {root}", path=root, user="root", group="root", mode="755")
    pip.venv(name="Create the release venv", path=venv, python="python3")

    wheel = build_wheel()
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    remote_wheel = f"{root}/dist/{wheel.name}"
    files.put(
        name="Upload the vedb wheel built here",
        src=str(wheel),
        dest=remote_wheel,
        mode="644",
        create_remote_dir=True,
    )
    # The version stays 0.1.0 across changes, so pip alone would keep the old code: install
    # by content, and record what is installed only once the install succeeded.
    marker = f"{venv}/.vedb-wheel-sha256"
    changed = []
    if host.get_fact(FileContents, path=marker) != [digest]:
        changed.append(
            server.shell(
                name=f"Install the wheel ({digest[:12]}) and its pinned dependencies into the venv",
                commands=[
                    f"{venv}/bin/pip install --quiet --disable-pip-version-check {remote_wheel}",
                    f"{venv}/bin/pip install --quiet --disable-pip-version-check --no-deps "
                    f"--force-reinstall {remote_wheel}",
                    f"echo {digest} > {marker}",
                ],
            )
        )
    for folder in ("queries", "migrations"):
        changed.append(
            files.sync(
                name=f"Upload {folder}/",
                src=str(REPO_ROOT / folder),
                dest=f"{root}/{folder}",
                delete=True,
                user="root",
                group="root",
                mode="644",
                dir_mode="755",
            )
        )
    return changed
