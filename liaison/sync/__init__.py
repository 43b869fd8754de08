"""Moving data between villages, townships and the county on USB sticks: keys, the package
format, export, import, replies, and the county roster (花名册) import."""
