"""Pure domain rules: ID and 残疾人证号 checks, money, subsidy eligibility, visit cadence,
alerts, child-rescue caps and modification priority.

Everything here is a function of its arguments (plus the TOML rule table loaded by `config`), so
the GUI, the command line, reports and the sync importer all apply the very same rules.
No database, no Qt.
"""
