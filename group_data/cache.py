"""Redis hosts: a pure cache, bound to localhost unless the API lives elsewhere."""

redis_bind = ["127.0.0.1", "-::1"]  # "-": skip an address the host does not have
# maxmemory as a share of RAM: the rest belongs to PostgreSQL and the API on a shared host.
redis_maxmemory_fraction = 0.10
