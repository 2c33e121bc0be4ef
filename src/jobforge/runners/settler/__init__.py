"""The Settler runner: a contract's lifecycle, from draft to expired or terminated.

``states.py`` is the state machine (a transition table, nothing else); ``terms.py`` reads
a contract's terms and times; ``reminders.py`` plans the renewal reminder and the expiry
job an activation schedules. ``store.py`` talks to the ``settler.store`` connector, and
the two job types live in ``advance.py`` and ``remind.py``; ``handlers.py`` registers them.
"""
