"""The runnable examples under examples/, each run as a user runs it."""
