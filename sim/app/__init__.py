"""The interactive page for students (``page``: Mesa SolaraViz); ``make app`` starts it."""
