"""The mechanisms: the rules of the day, one module each, following ``sim.mechanisms.base``.

illness (1), care (2-6: tier choice, crowding, outcome, cost, satisfaction), workforce (doctors),
trust (7), disputes (8-9), mediation (the centres), violence (10), media (11). The order of the
day is declared in ``sim.engine.schedule``; the numbers refer to docs/ODD.md, section 7.
"""
