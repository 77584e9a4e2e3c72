"""Thin Prefect flows over the forecasting library, and the `fleetcast` CLI."""

from flows._env import apply_prefect_defaults

apply_prefect_defaults()
