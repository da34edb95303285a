"""The recorder: one RTSP pull per camera stream, cut into fMP4 segments, indexed.

Processes (docs/design/recording.md): the supervisor (main process) owns the database and
the worker processes; each capture worker pulls a group of camera streams on threads and
writes segment files; it never touches the database, it reports what it wrote through a
queue. The indexer, in the supervisor, turns reports into rows.
"""
