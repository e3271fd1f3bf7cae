"""Telling residents what became of their applications: one ``Notifier`` interface
(server.notify.base), the transactional outbox and its sender with back-off (server.notify.outbox),
and the notifiers behind it: the log (demo, tests) and an HTTP SMS gateway (server.notify.sms).
"""
