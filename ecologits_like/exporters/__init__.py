"""Exporters: BoAmps inference reports (:mod:`.boamps`) and CSV tables (:mod:`.csv`).

JSON-lines recording lives in :mod:`ecologits_like.recording`.
"""
