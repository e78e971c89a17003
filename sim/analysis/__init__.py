"""Analysis: paired statistics (``stats``), publication figures (``plots``), drawing the network
(``drawing``), calibration, validation and sensitivity analysis."""
