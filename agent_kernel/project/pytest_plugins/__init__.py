"""Pytest plugins the workbench loads into workspace test runs."""
