"""Triage of customer messages: intent, emotion, urgency, priority, playbook, and the cues behind them.

Rules are data (``triage.toml``, ``rules_zh.toml``, ``rules_en.toml`` in this package), loaded on first
use, so importing this package has no side effects. Entry point: :func:`triage`.
"""

from workbench.triage.engine import triage
from workbench.triage.model import EMOTIONS, INTENTS, Cue, TriageResult

__all__ = ["EMOTIONS", "INTENTS", "Cue", "TriageResult", "triage"]
