"""ESC/POS printing: encoder, connectors, status, virtual printer, decoder and preview."""
