"""One pyinfra @deploy per concern; deploy.py routes each host to them by its groups."""
