"""The benchmarks behind `vedb bench`: seed (the load rate beside `pgbench -i`), queries (raw
tables against rollups, defaults against tuned settings) and api (cached throughput against a
bare route). They need the ops extra (numpy, httpx), so only the CLI imports them, lazily."""
