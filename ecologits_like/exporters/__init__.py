"""Exporters: BoAmps inference reports (:mod:`.boamps`), CSV tables (:mod:`.csv`) and OpenTelemetry
metrics (:mod:`.opentelemetry`, imported only when asked for).

JSON-lines recording lives in :mod:`ecologits_like.recording`.
"""
