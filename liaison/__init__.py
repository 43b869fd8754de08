"""Liaison (残疾人专职委员工作台): offline case management for grassroots disability liaison work."""

__version__ = "0.1.0"
