"""The LKj document itself: achievements, the units' data and its fingerprint, charts, the
draft (.docx). The archive's format and check are in engine/audit/archive.py."""
