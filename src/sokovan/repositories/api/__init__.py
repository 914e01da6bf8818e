"""The API repository: session listing and detail, submission facts, credentials, metrics and
administration reads and writes."""

from sokovan.repositories.api.repository import ApiRepository

__all__ = ["ApiRepository"]
