"""The command surface around the capabilities: `/help`, `/admin status`, `/admin setup`, the audit log."""
