"""The 社会保障卡 layer.

- ``base``: CardReader / CardConnection interfaces (no import of the rest of the package).
- ``apdu`` + ``sscard``: the card protocol (T=0 61xx/6Cxx, EF05/EF06 by tag, VERIFY), over any
  CardConnection: ``read_card(conn)``, ``verify_pin(conn, pin)``.
- ``pcsc_reader``: PcscCardReader over pcscd (pyscard); ``monitor``: CardMonitor (insert/remove).
- ``simulator``: virtual cards answering the real APDUs, and CardSlot (insert/remove them);
  ``simulated_reader``: in-process slot;
  ``vpcd_card``: serves a virtual card to the real pcscd through vsmartcard's vpcd;
  ``pcscd_service``: IsolatedPcscd, a private pcscd for tests and the demo.

Nothing here is imported by kiosk/ (which stays free of pyscard); main.py wires it in.
"""
