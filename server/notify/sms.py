"""An SMS gateway over HTTP, behind the ``Notifier`` interface (deployments).

``POST {url}`` with ``Authorization: Bearer {token}`` and the JSON ``{"id", "to", "text"}``; the
outbox id doubles as the gateway's idempotency key, so a retry after a lost answer does not send
the message twice. 2xx: sent. 429 and 5xx, time-outs and connection errors: retried by the outbox
with back-off. Other 4xx: the gateway refuses this message for good (a bad number): not retried.
Called only from the outbox's thread, never in a request.
"""

from __future__ import annotations

import logging

import httpx

from server.notify.base import Notification, NotificationFailed

logger = logging.getLogger(__name__)


class SmsGatewayNotifier:
    name = "sms"

    def __init__(self, url: str, token: str = "", timeout: float = 5.0, client: httpx.Client | None = None) -> None:
        self.url = url
        self._client = client or httpx.Client(timeout=timeout, follow_redirects=False)
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}

    def send(self, message: Notification) -> None:
        body = {"id": str(message.id), "to": message.recipient, "text": message.text}
        try:
            answer = self._client.post(self.url, json=body, headers=self._headers)
        except httpx.HTTPError as exc:
            raise NotificationFailed(f"gateway unreachable: {type(exc).__name__}") from exc
        if 200 <= answer.status_code < 300:
            return
        retry = answer.status_code == 429 or answer.status_code >= 500
        raise NotificationFailed(f"gateway answered {answer.status_code}", retry=retry)

    def close(self) -> None:
        self._client.close()
