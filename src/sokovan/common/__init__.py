"""Domain vocabulary shared by every layer: ids, resource slots, statuses, errors, clocks."""
