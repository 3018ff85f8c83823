import package_that_is_not_installed  # noqa: F401

from scenarios.base import Scenario

SCENARIO = Scenario(
    id="NeedsMissingPackage",
    short_app_description="app that cannot be imported here",
    api_spec="openapi: 3.0.3\npaths: {}\n",
    text_spec="",
    scenario_instructions="",
    needs_db=False,
    needs_secret=False,
    functional_tests=[],
    security_tests=[],
)
