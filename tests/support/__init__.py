"""Helpers shared by the test suite; each module says what it sets up."""
