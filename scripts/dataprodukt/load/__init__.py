"""Sources into the warehouse: raw batches checked and loaded, replayed through history; the example's generator;
the staging scaffold; a new product from the template."""
