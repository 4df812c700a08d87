"""Episode digests (issue 6)."""
