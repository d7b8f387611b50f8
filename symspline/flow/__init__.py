"""Gradient-flow dynamics (theory §5): event-driven flows in both parameterizations, regimes."""

from __future__ import annotations

from .integrate import (
    Event,
    FlowResult,
    flow,
    flow_network,
    flow_spline,
    integrate,
    snap_breakpoints,
)
from .vector_field import FlowPattern, NetworkSystem, QuotientSystem, System

__all__ = [
    "Event", "FlowPattern", "FlowResult", "NetworkSystem", "QuotientSystem", "System", "flow",
    "flow_network", "flow_spline", "integrate", "snap_breakpoints",
]
