"""Renshe kiosk domain: session, flows, backend client, documents. No Kivy, cv2 or pyscard here."""
