"""Printed documents (reportlab PDF) and spreadsheets (openpyxl), read through the services."""
