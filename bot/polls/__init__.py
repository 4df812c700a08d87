"""Community polls: open versus closed AI, one vote per episode (issue 7)."""
