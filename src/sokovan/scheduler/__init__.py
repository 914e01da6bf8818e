"""The session scheduler: placement, the coordinator loop and its handlers."""
