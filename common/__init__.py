"""What the terminal and the server must agree on, in one place both import.

- ``ssn``: 社会保障号码 rules (GB 11643 validation, ``make_ssn``) and masking for logs and screens.
- ``errors``: ``KioskError`` and ``ConfigError``, the typed errors these modules raise.
- ``config``: the kiosk configuration schema (``validate_config``, ``load_toml``,
  ``DEFAULT_CONFIG_PATH``); the fleet manager validates profiles with it.
- ``bundles``: canonical JSON and the Ed25519-signed config bundle (sign and verify).
- ``fleet_protocol``: the heartbeat payload schema and the command kinds.
- ``face_models``: where the dlib model files are.
- ``esscard``: the 电子社保卡 sign-in code (format, lifetime, refusals).
- ``card_auth``: the card proof (SM4, per-card keys, INTERNAL AUTHENTICATE key ids and cryptograms).

Contract: nothing here imports kiosk, drivers, screens, cli or server (tests/test_architecture.py
checks it), so the server never loads terminal code and the terminal never loads server code.
"""
