"""Repositories: the only code in sokovan that issues SQL."""
