"""Agent-based simulation of doctor-patient trust, disputes and violence against doctors."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("doctor-patient-trust")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0+unknown"
