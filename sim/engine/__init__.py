"""The engine: the state of the world, random streams, the agents, the schedule and the model.

``state`` and ``institutions`` hold the state (arrays and records), ``streams`` the random
numbers, ``world`` the set-up and the container the mechanisms work on, ``ledger`` the day's
counts and logs, ``agents`` the Mesa agents (views and delegates), ``schedule`` the order of
the day, ``model`` the Mesa model, ``metrics`` the daily series and the summary, and
``reference`` the same rules written agent by agent (a cross-check and a yardstick).
"""
