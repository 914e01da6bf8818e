"""Starting sessions on agents: image pulling and kernel creation."""
