"""The embedded bootstrap behind `sokovan up`: everything a fresh installation needs, once.

It creates the data directory, migrates the database and makes sure the defaults exist: the
"default" resource policy (no limits), domain, group and scaling group (fifo, concentrated),
the superadmin `admin@sokovan.local` with a keypair, the `python` image of the process
runtime and the agent token (a file in the data directory, mode 0600). Running it again
changes nothing.

The admin secret exists in exactly one place, a credentials file (JSON, mode 0600) in the data
directory; the database keeps only its hash. The file is written before the keypair is stored,
so an interrupted first run leaves a file the next run restores the keypair from, never a
keypair whose secret is lost.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from sokovan.agent.config import detect_architecture
from sokovan.auth.secrets import generate_keypair, hash_secret, verify_secret
from sokovan.common.clock import Clock
from sokovan.common.errors import ConfigurationError
from sokovan.common.ids import AccessKey, GroupId, UserId
from sokovan.common.scheduling import AgentSelectionStrategy, SequencerStrategy, UserRole
from sokovan.config import SokovanConfig
from sokovan.db.engine import create_engine
from sokovan.db.migrate import current_revision, upgrade
from sokovan.repositories.tenancy import TenancyRepository

#: Where the manager will serve its API; recorded now so clients find it later.
API_URL = "http://127.0.0.1:8090"
ADMIN_EMAIL = "admin@sokovan.local"
ADMIN_USERNAME = "admin"
DEFAULT = "default"
#: The image every process agent can run: the machine's python3.
DEFAULT_IMAGE = "python"
DEFAULT_IMAGE_ENVIRONMENT: dict[str, object] = {"command": ["python3"]}
_REISSUE_HINT = "move it away and run `sokovan up` again to issue a new admin keypair"


@dataclass(frozen=True, slots=True)
class Credentials:
    """What a client needs to call the API as the admin."""

    api_url: str
    access_key: AccessKey
    secret_key: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class BootstrapReport:
    """What a bootstrap run found and did; `created` is empty when nothing had to change."""

    data_dir: Path
    #: As configured, password included: hide it before displaying.
    database_url: str
    revision_before: str | None
    revision_after: str | None
    access_key: AccessKey
    credentials_file: Path
    created: tuple[str, ...]

    @property
    def already_initialised(self) -> bool:
        return not self.created


async def bootstrap(config: SokovanConfig, clock: Clock | None = None) -> BootstrapReport:
    """Bring the embedded installation of `config` to its initial state; idempotent.

    Raises `ConfigurationError` (data directory or credentials file unusable) or
    `DatabaseError` (database unreachable, migration failed).
    """
    prepare_data_dir(config.data_dir)
    engine = create_engine(config.resolved_database_url(), echo=config.database_echo)
    try:
        before = await current_revision(engine)
        await upgrade(engine)
        after = await current_revision(engine)
        repo = TenancyRepository(engine, clock)
        group_id, created = await ensure_defaults(repo)
        credentials, admin_created = await ensure_admin(
            repo, group_id, config.resolved_credentials_file()
        )
        await ensure_default_image(repo)
        if config.agent_token is None and ensure_agent_token(config.agent_token_file()):
            admin_created.append(f"agent token in {config.agent_token_file()}")
    finally:
        await engine.dispose()
    return BootstrapReport(
        data_dir=config.data_dir,
        database_url=config.resolved_database_url(),
        revision_before=before,
        revision_after=after,
        access_key=credentials.access_key,
        credentials_file=config.resolved_credentials_file(),
        created=(*created, *admin_created),
    )


def prepare_data_dir(path: Path) -> None:
    """Create the data directory (private to its owner) unless it exists."""
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise ConfigurationError(
            f"cannot create the data directory {path}: {exc.strerror or exc}; "
            "point SOKOVAN_DATA_DIR (or `sokovan up --data-dir`) at a writable directory"
        ) from None


async def ensure_defaults(repo: TenancyRepository) -> tuple[GroupId, list[str]]:
    """The default policy, domain, group and scaling group; returns the group and what's new."""
    created: list[str] = []
    if await repo.ensure_resource_policy(DEFAULT):
        created.append("resource policy 'default'")
    if await repo.ensure_domain(DEFAULT, resource_policy=DEFAULT):
        created.append("domain 'default'")
    group_id = await repo.ensure_group(DEFAULT, DEFAULT)
    if await repo.ensure_scaling_group(
        DEFAULT, SequencerStrategy.FIFO, AgentSelectionStrategy.CONCENTRATED
    ):
        created.append("scaling group 'default'")
    return group_id, created


async def ensure_admin(
    repo: TenancyRepository, group_id: GroupId, credentials_file: Path
) -> tuple[Credentials, list[str]]:
    """The admin user and a keypair whose secret is in `credentials_file`.

    An existing file is reused; it must match the database, or `ConfigurationError` says how
    to recover. Without a file a new keypair is issued and the file written.
    """
    stored = read_credentials(credentials_file)
    created: list[str] = []
    user = await repo.get_user_by_email(ADMIN_EMAIL)
    if user is None:
        user_id = await repo.create_user(
            ADMIN_EMAIL, ADMIN_USERNAME, DEFAULT, UserRole.SUPERADMIN, group_id
        )
        created.append(f"superadmin {ADMIN_EMAIL}")
    else:
        user_id = user.id
    if stored is None:
        keypair = generate_keypair()
        stored = Credentials(API_URL, keypair.access_key, keypair.secret_key)
        write_credentials(credentials_file, stored)
        await _store_keypair(repo, user_id, stored)
        created.append(f"keypair {stored.access_key}")
    elif await _restore_keypair(repo, user_id, stored, credentials_file):
        created.append(f"keypair {stored.access_key} (restored from {credentials_file})")
    return stored, created


async def _store_keypair(repo: TenancyRepository, user_id: UserId, stored: Credentials) -> None:
    await repo.create_keypair(
        user_id,
        UserRole.SUPERADMIN,
        stored.access_key,
        hash_secret(stored.secret_key),
        resource_policy=DEFAULT,
    )


async def _restore_keypair(
    repo: TenancyRepository, user_id: UserId, stored: Credentials, credentials_file: Path
) -> bool:
    """Store the file's keypair if the database lacks it (True); refuse a mismatching one."""
    existing = await repo.get_keypair(stored.access_key)
    if existing is None:
        await _store_keypair(repo, user_id, stored)
        return True
    if existing.user_id != user_id or not verify_secret(
        stored.secret_key, existing.secret_key_hash
    ):
        raise ConfigurationError(
            f"the credentials file {credentials_file} does not match the admin keypair "
            f"{stored.access_key} in the database; {_REISSUE_HINT}"
        )
    return False


def read_credentials(path: Path) -> Credentials | None:
    """The credentials stored at `path`, or None if there is no file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigurationError(
            f"cannot read the credentials file {path}: {exc.strerror or exc}"
        ) from None
    try:
        data = json.loads(text)
        values = [data[key] for key in ("api_url", "access_key", "secret_key")]
    except (ValueError, KeyError, TypeError):
        values = []
    if len(values) != 3 or not all(isinstance(value, str) and value for value in values):
        raise ConfigurationError(
            f"the credentials file {path} is not valid JSON with api_url, access_key and "
            f"secret_key; {_REISSUE_HINT}"
        )
    api_url, access_key, secret_key = values
    return Credentials(api_url, AccessKey(access_key), secret_key)


def write_credentials(path: Path, credentials: Credentials) -> None:
    """Write `credentials` to `path` atomically, readable by the owner only (mode 0600)."""
    payload = {
        "api_url": credentials.api_url,
        "user": ADMIN_EMAIL,
        "access_key": credentials.access_key,
        "secret_key": credentials.secret_key,
    }
    text = json.dumps(payload, indent=2) + "\n"
    try:
        write_private_file(path, text)
    except OSError as exc:
        raise ConfigurationError(
            f"cannot write the credentials file {path}: {exc.strerror or exc}; "
            "set SOKOVAN_CREDENTIALS_FILE to a writable location"
        ) from None


def write_private_file(path: Path, text: str) -> None:
    """Write `text` to `path` atomically, readable by the owner only (mode 0600); OSError."""
    partial = path.with_name(f".{path.name}.partial")
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial.unlink(missing_ok=True)
    # Created 0600 from the start (O_EXCL, explicit mode): the secret is never readable
    # by others, not even between the write and a later chmod.
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
        stream.write(text)
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(partial, path)


def ensure_agent_token(path: Path) -> bool:
    """A random agent token in `path` (mode 0600) unless one is there; True when created."""
    try:
        if path.read_text(encoding="utf-8").strip():
            return False
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise ConfigurationError(f"cannot read the agent token file {path}: {exc}") from None
    try:
        write_private_file(path, secrets.token_urlsafe(32) + "\n")
    except OSError as exc:
        raise ConfigurationError(
            f"cannot write the agent token file {path}: {exc.strerror or exc}"
        ) from None
    return True


def read_agent_token(config: SokovanConfig) -> str:
    """The configured agent token, else the one in the data directory's token file."""
    if config.agent_token is not None:
        return config.agent_token.get_secret_value()
    path = config.agent_token_file()
    try:
        token = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigurationError(
            f"no agent token: set SOKOVAN_AGENT_TOKEN or run `sokovan up` once to create "
            f"{path} ({exc.strerror or exc})"
        ) from None
    if not token:
        raise ConfigurationError(f"the agent token file {path} is empty")
    return token


async def ensure_default_image(repo: TenancyRepository) -> None:
    """The process runtime's default image: `python` on this machine's architecture."""
    await repo.ensure_image(DEFAULT_IMAGE, detect_architecture(), DEFAULT_IMAGE_ENVIRONMENT)


def record_api_url(path: Path, api_url: str) -> None:
    """Point the credentials file at `api_url` (where the manager now serves), if it differs."""
    stored = read_credentials(path)
    if stored is not None and stored.api_url != api_url:
        write_credentials(path, Credentials(api_url, stored.access_key, stored.secret_key))
