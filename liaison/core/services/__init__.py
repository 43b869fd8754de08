"""Use cases. Every change to stored data goes through a function here, which validates it,
checks the actor's scope and writes the audit trail; the GUI, CLI and sync importer call
the same functions."""
