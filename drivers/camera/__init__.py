"""Camera drivers: frame sources, face detection/landmarks, per-frame analysis, capture worker.

Entry points: :func:`drivers.camera.factory.build_camera`, :class:`drivers.camera.base.Camera`,
:class:`drivers.camera.quality.FrameAnalyzer`, :class:`drivers.camera.capture.FaceCapture`,
:class:`drivers.camera.simulated.SimulatedCamera` (demo dock: ``show(scene)``, ``unplug()``).
"""
