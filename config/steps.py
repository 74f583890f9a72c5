"""The result every step of the nightly run returns (portal/nightly.py)."""

from dataclasses import dataclass, field


@dataclass
class StepResult:
    """What a nightly step did: ``done`` names each thing acted on, ``failed``
    each thing that could not be done (step, item and the German reason)."""

    done: list[str] = field(default_factory=list)
    failed: list[dict] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.done)

    def fail(self, *, step: str, item: str, error: str) -> None:
        self.failed.append({"step": step, "item": item, "error": error})
