"""Service functions: the only code that changes the cache. Each takes a Context first."""
