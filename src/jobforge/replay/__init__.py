"""Golden replay: run fixtures through the real worker on a throwaway database and compare."""
