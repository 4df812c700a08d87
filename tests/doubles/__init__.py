"""Test doubles: local servers that real clients talk to."""
