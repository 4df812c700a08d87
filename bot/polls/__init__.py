"""Community polls: open versus closed AI, one vote per episode."""
