"""Shipped weather data (see README.md here); not code.

This file makes the folder a regular package so that packaging can install the files
the package reads at run time as ``energysim.weather.data`` (``pyproject.toml``;
read through :func:`energysim.weather.shipped.shipped_path`) from this one copy.
"""
