"""Qt-free core: models, rules, services. Nothing here may import Qt."""
