"""Compensation authority: the versioned policy file and the one decision function.

``load_policy(path=None)`` and ``decide(...)`` are the contract the hub (issue 8) relies on: both are
pure, so the hub can decide with its own figures inside its own transaction. The local cache's
figures live in :mod:`workbench.authority.figures`; the service that writes compensations is
:mod:`workbench.services.compensation`.
"""

from workbench.authority.decide import (
    ALLOWED, DENIED, NEEDS_APPROVAL, CaseFacts, Decision, Figures, Reason, decide, return_deadline,
)
from workbench.authority.policy import (
    ACTIONS, Policy, PolicyError, Tier, effective_policy, load_policy, parse_policy,
)

__all__ = [
    "ACTIONS", "ALLOWED", "DENIED", "NEEDS_APPROVAL", "CaseFacts", "Decision", "Figures", "Policy",
    "PolicyError", "Reason", "Tier", "decide", "effective_policy", "load_policy", "parse_policy",
    "return_deadline",
]
