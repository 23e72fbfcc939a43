"""Repository checks that run alongside the tests (see the Makefile)."""
