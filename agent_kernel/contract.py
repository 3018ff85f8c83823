"""The Execution Contract: what the agent hands back when it finishes a request.

`submit_result` takes exactly this model as its input schema, so the model's own
validation errors are what the agent sees when its contract is incomplete.
"""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Stage = Literal[
    "constitution",
    "spec",
    "plan",
    "tasks",
    "red",
    "green",
    "refactor",
    "explainer",
    "misc",
    "general",
]


class AcceptanceCheck(BaseModel):
    """One check of the artifact, tied to a pytest node the workbench runs itself."""

    model_config = ConfigDict(extra="forbid")

    description: str = Field(min_length=3, description="What the check proves, in one line.")
    test: str = Field(
        min_length=1,
        description="A pytest target relative to the workspace, e.g. tests/test_items.py::test_get",
    )


class Decision(BaseModel):
    """A design decision, scored by the three-part ADR significance test."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=3)
    choice: str = Field(min_length=3, description="What was decided.")
    alternatives: list[str] = Field(default_factory=list, description="Options considered.")
    rationale: str = Field(default="", description="Why this option, with its trade-offs.")
    long_term_impact: bool = Field(description="Will this shape the system for a long time?")
    cross_cutting: bool = Field(description="Does it affect more than one module or team?")

    @property
    def significant(self) -> bool:
        """Long-term impact, real alternatives and cross-cutting scope: all three."""
        return self.long_term_impact and self.cross_cutting and len(self.alternatives) >= 1


class PhrFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    stage: Stage = "green"
    feature: str = Field(default="none", description="Feature slug, or 'none'.")
    title: str = Field(description="A 3-7 word title for the prompt record.")
    labels: list[str] = Field(default_factory=list)

    @field_validator("title")
    @classmethod
    def title_has_three_to_seven_words(cls, value: str) -> str:
        words = value.split()
        if not 3 <= len(words) <= 7:
            raise ValueError(f"title must have 3-7 words, got {len(words)}")
        return value


class ExecutionContract(BaseModel):
    """Surface and success criteria, bounds, the artifact, its checks, what comes next."""

    model_config = ConfigDict(extra="forbid")

    surface_and_success: str = Field(
        min_length=10, description="One sentence: the surface touched and how success is judged."
    )
    constraints: list[str] = Field(default_factory=list)
    invariants: list[str] = Field(default_factory=list)
    non_goals: list[str] = Field(default_factory=list)
    artifact_summary: str = Field(min_length=3, description="What was produced, briefly.")
    acceptance_checks: list[AcceptanceCheck] = Field(min_length=1)
    follow_ups_and_risks: list[str] = Field(default_factory=list, max_length=3)
    decisions: list[Decision] = Field(default_factory=list)
    phr: PhrFields

    @field_validator("surface_and_success")
    @classmethod
    def one_sentence(cls, value: str) -> str:
        stripped = value.strip().rstrip(".!?")
        if any(mark in stripped for mark in (". ", "! ", "? ", "\n")):
            raise ValueError("surface_and_success must be one sentence")
        return value.strip()

    def significant_decisions(self) -> list[Decision]:
        return [decision for decision in self.decisions if decision.significant]
