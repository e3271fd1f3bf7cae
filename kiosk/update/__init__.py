"""Signed software updates on the terminal (no Kivy): see docs/software-update.md.

- ``layout``: the install root and data directory contract shared with the launcher.
- ``client``: the release endpoints of the fleet manager.
- ``installer``: verify, unpack beside the running release, link its venv, switch ``current``.
- ``updater``: the agent-side loop (poll, download between residents, install, ask for a restart).
- ``health``: the new release's healthy mark, its deadline and the report of ``last.json``.
"""
