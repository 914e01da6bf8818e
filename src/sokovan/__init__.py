"""sokovan: an orchestrator for AI compute sessions and model-serving deployments."""

__version__ = "0.1.0"
