"""Applications (办事) submitted at a terminal: every service of the kiosk's catalogue that has a
server side, validated by its rules, reviewed by staff, and told to the resident.

- ``catalogue``: the kinds (the kiosk's service ids), statuses and transitions;
- ``forms``: the request bodies; ``rules`` (``rules_*``): who may apply, and the effect;
- ``applicant``: the records the rules read; ``effects``: the writes, in the request's transaction;
- ``lifecycle``: status changes with history and notification; ``review``: staff decisions (the
  console's 业务审核, server.fleet.console_review);
- ``api``: the terminal API; ``receipts``: what the terminal shows; ``office``/``settings``: the
  per-app notifier and outbox sender.
"""

from server.applications.api import router
from server.applications.catalogue import KIND_NAMES, KINDS, STATUS_NAMES

__all__ = ["KINDS", "KIND_NAMES", "STATUS_NAMES", "router"]
