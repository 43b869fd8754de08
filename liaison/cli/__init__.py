"""The command line. Never imports Qt (the GUI is loaded only when no command is given)."""
