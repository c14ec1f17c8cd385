"""`make bench`: the gateway against the floor, on a private redis-server, figures in docs/benchmarks.md."""
