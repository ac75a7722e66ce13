"""Administration: rules, staff, sources, pools, holidays, users and tenants."""
