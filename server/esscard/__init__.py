"""Sign-in with the 电子社保卡 (electronic social-security card), the gateway's side.

:mod:`server.esscard.codes` issues and spends the single-use codes (table ``esscard_codes``),
:mod:`server.esscard.router` serves ``POST /api/v1/sessions/esscard``, and
:func:`server.esscard.cli.main` is ``python -m server mint-esscard SSN``. The code format is in
:mod:`common.esscard`, which the terminal shares.
"""
