"""Plan node ids: the one type that builds them and reads them back.

A node is named by its stage (`train`), or, for the stages with one node per metric or
per clock, by its stage and what it is of (`probe:train_loss`, `clock:fit`). A NodeId is a
`str`, so the plan's JSON, dict lookups by plain strings and comparisons are unchanged.
"""
from __future__ import annotations

SEP = ":"


class NodeId(str):
    __slots__ = ()

    @classmethod
    def of(cls, stage: str, name: str | None = None) -> NodeId:
        """The id of a stage's node, or of its node for `name` (a metric, a clock)."""
        return cls(stage if name is None else f"{stage}{SEP}{name}")

    @classmethod
    def probe(cls, metric: str) -> NodeId:
        return cls.of("probe", metric)

    @classmethod
    def clock(cls, name: str) -> NodeId:
        return cls.of("clock", name)

    @property
    def stage(self) -> str:
        return self.partition(SEP)[0]

    @property
    def name(self) -> str | None:
        """The metric or clock the node is of; None for a stage's only node."""
        _, sep, name = self.partition(SEP)
        return name if sep else None

    @property
    def label(self) -> str:
        """`clock fit`, `probe schatten`, `train`: how a reviewer names the node."""
        return self.replace(SEP, " ", 1)
