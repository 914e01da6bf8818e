"""Starting a kernel process: its environment, its executable, the spawn itself.

Kernels are spawned with `os.posix_spawn`, not `asyncio.create_subprocess_exec` or `Popen`:
both of those tie the process to a Python object that kills it (asyncio's transport, when
closed or collected) or warns about it (Popen, when collected) once the agent lets go, yet a
kernel must outlive the agent that started it so that a restarted agent can re-adopt it.
A raw pid, watched through procs.py, has no such owner.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path

from sokovan.agent.errors import KernelStartError

STDOUT_LOG = "stdout.log"
STDERR_LOG = "stderr.log"
#: posix_spawn cannot change directory, so a POSIX shell does it and then replaces itself
#: with the kernel's command (`exec`): the pid that posix_spawn returns is the kernel's.
_CHDIR_THEN_EXEC = 'cd -- "$0" && exec "$@"'
_LOG_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_APPEND


def kernel_environment(
    *,
    inherited: Mapping[str, str],
    passthrough: Sequence[str],
    home: Path,
    image_env: Mapping[str, str],
    venv: Path | None,
    environ: Mapping[str, str],
) -> dict[str, str]:
    """Layered, later wins: passed-through agent variables, HOME, the image's env, the
    kernel's environ. An image venv then goes first on PATH."""
    env = {name: inherited[name] for name in passthrough if name in inherited}
    env["HOME"] = str(home)
    env.update(image_env)
    env.update(environ)
    if venv is not None:
        bin_dir = str(venv / "bin")
        env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}" if env.get("PATH") else bin_dir
        env["VIRTUAL_ENV"] = str(venv)
    return env


def resolve_executable(program: str, path: str | None, cwd: Path) -> str:
    """The absolute path `program` runs as (searched on `path`, the kernel's PATH)."""
    if os.sep in program:
        candidate = cwd / program
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
        raise KernelStartError(f"command {program!r} is not an executable file")
    found = shutil.which(program, path=path or "")
    if found is None:
        raise KernelStartError(f"command {program!r} not found on the kernel's PATH ({path})")
    return str(Path(found).absolute())


def spawn(command: Sequence[str], env: Mapping[str, str], cwd: Path, log_dir: Path) -> int:
    """Start `command` (its first item an absolute executable) in a new session; its pid.

    The session (and so the process group) has the kernel's pid as its id, so the kernel and
    everything it starts can be signalled together. stdin is /dev/null; stdout and stderr are
    appended to files in `log_dir`.
    """
    argv = ["/bin/sh", "-c", _CHDIR_THEN_EXEC, str(cwd), *command]
    file_actions = [
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, str(log_dir / STDOUT_LOG), _LOG_FLAGS, 0o644),
        (os.POSIX_SPAWN_OPEN, 2, str(log_dir / STDERR_LOG), _LOG_FLAGS, 0o644),
    ]
    try:
        return os.posix_spawn(argv[0], argv, env, file_actions=file_actions, setsid=True)
    except OSError as exc:
        raise KernelStartError(f"cannot start {command[0]!r}: {exc}") from exc


def read_tail(path: Path, limit: int) -> str:
    """The last `limit` bytes of a file as text (invalid UTF-8 replaced); "" if absent."""
    try:
        with path.open("rb") as stream:
            size = stream.seek(0, os.SEEK_END)
            stream.seek(max(0, size - limit))
            return stream.read(limit).decode(errors="replace")
    except FileNotFoundError:
        return ""
