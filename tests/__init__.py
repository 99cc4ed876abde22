"""The test suites (a package, so the project root, not tests/, goes on sys.path)."""
