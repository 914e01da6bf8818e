"""Image environments of the process runtime, and the venvs that "pulling" builds for them.

An image is an environment definition, not a container image:
`{"command": [...], "workdir": "...", "requirements": [...], "env": {...}}`. An image without
requirements is ready at once. One with requirements gets its own venv under the agent's data
dir, built once and reused by every kernel of that image; the directory name includes a hash
of the requirements, so changing them builds a fresh venv instead of mutating a shared one.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sokovan.agent.errors import ImagePreparationError, InvalidImageError
from sokovan.agent.protocol import ImageSpec

#: Written into a venv once its requirements are installed; a venv without it is rebuilt.
READY_MARKER = ".sokovan-ready"
#: How much of a failing command's output an IMAGE_PULL_FAILED reason carries.
_DETAIL_CHARS = 2000
_UNSAFE_NAME_CHARS = re.compile(r"[^A-Za-z0-9_.-]+")


class ImageEnvironment(BaseModel):
    """What a kernel of the image runs and with which environment."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: The default command; a kernel's own `command` replaces it.
    command: list[str] = Field(default_factory=list)
    #: The kernel's working directory: relative paths are inside the kernel's directory.
    workdir: str | None = None
    #: pip requirement specifiers installed into the image's venv.
    requirements: list[str] = Field(default_factory=list)
    env: dict[str, str] = Field(default_factory=dict)


def resolve_environment(
    image: ImageSpec, configured: Mapping[str, ImageEnvironment]
) -> ImageEnvironment:
    """The image's environment: the one sent with the image, else the agent's configured one.

    Raises `InvalidImageError` for a malformed definition or an option-like requirement
    (one starting with "-" could smuggle pip options such as another index URL).
    """
    if not image.environment:
        environment = configured.get(image.name, ImageEnvironment())
    else:
        try:
            environment = ImageEnvironment.model_validate(image.environment)
        except ValidationError as exc:
            raise InvalidImageError(
                f"image {image.name!r} has an invalid environment: {exc}"
            ) from None
    for requirement in environment.requirements:
        if not requirement.strip() or requirement.lstrip().startswith("-"):
            raise InvalidImageError(
                f"image {image.name!r}: invalid requirement {requirement!r} "
                "(give package specifiers or paths, not pip options)"
            )
    return environment


class VenvBuilder:
    """Builds and finds the venvs of images with requirements, under `root`.

    `python` creates the venvs (`python -m venv --without-pip`); the agent's own interpreter
    installs into them with `pip --python`, so a venv costs no bundled pip of its own.
    """

    def __init__(self, root: Path, python: str = sys.executable) -> None:
        self._root = root
        self._python = python

    def venv_dir(self, image_name: str, environment: ImageEnvironment) -> Path | None:
        """Where the image's venv lives; None when the image needs no venv."""
        if not environment.requirements:
            return None
        digest = hashlib.sha256(json.dumps(environment.requirements).encode()).hexdigest()[:16]
        slug = _UNSAFE_NAME_CHARS.sub("_", image_name)[:64]
        return self._root / f"{slug}-{digest}"

    def is_ready(self, image_name: str, environment: ImageEnvironment) -> bool:
        venv = self.venv_dir(image_name, environment)
        return venv is None or (venv / READY_MARKER).is_file()

    async def build(self, image_name: str, environment: ImageEnvironment) -> None:
        """Create the venv and install the requirements; raises `ImagePreparationError`.

        A half-built venv (no ready marker) is removed and rebuilt from scratch.
        """
        venv = self.venv_dir(image_name, environment)
        if venv is None or (venv / READY_MARKER).is_file():
            return
        if venv.exists():
            shutil.rmtree(venv)
        venv.parent.mkdir(parents=True, exist_ok=True)
        await _run_step("creating the venv", self._python, "-m", "venv", "--without-pip", str(venv))
        await _run_step(
            "installing the requirements",
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(venv / "bin" / "python"),
            "install",
            "--disable-pip-version-check",
            "--no-input",
            *environment.requirements,
        )
        (venv / READY_MARKER).write_text(json.dumps(environment.requirements))


async def _run_step(step: str, *argv: str) -> None:
    process = await asyncio.create_subprocess_exec(
        *argv,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        output, _ = await process.communicate()
    except asyncio.CancelledError:
        # The agent is stopping: do not leave a pip behind writing into the venv.
        process.kill()
        await process.wait()
        raise
    if process.returncode != 0:
        text = output.decode(errors="replace").strip()[-_DETAIL_CHARS:]
        raise ImagePreparationError(f"{step} failed (exit code {process.returncode}): {text}")
