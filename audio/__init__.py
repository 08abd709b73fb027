"""Audio building blocks shared by the studio: decoding and encoding (``codec``), voice activity
(``speech_activity``), loudness and cleanup (``processing``), speaker embeddings (``embedding``) and
speech recognition (``asr``).

Every function takes and returns float32 mono PCM in [-1, 1] plus its sample rate; heavy libraries
are imported inside the functions that need them so importing this package stays cheap.
"""
