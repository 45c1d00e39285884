"""Matching: European interests scored against Mexican clusters, suggestions stored.

Modules, each importing only those listed before it (``tests/test_architecture.py``):

- ``terms``, ``engine``, ``keys``, ``index``, ``reasons``: plain Python, no ORM. The one
  scoring rule is in ``engine`` ("Scoring: the one rule");
- ``features`` (reading: interests and clusters as the engine's features, the process's
  index of every published cluster) and ``storage`` (writing suggestions and match records);
- ``cluster_change``: a changed cluster, applied to the suggestions it alters;
- ``suggest``: the public functions that tasks, views and services call.

docs/ARCHITECTURE.md follows an interest and a cluster edit through them.
"""
