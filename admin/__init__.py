"""The operator's side of botgate: the admin API under /admin/v1 and its bearer-token auth."""
