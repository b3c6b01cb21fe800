package dev.roadie.core.snapshot;

import java.util.List;

/**
 * A directory level: its entries sorted by name. Stored as a JSON metadata blob, deduplicated like
 * data.
 */
public record Tree(List<Node> nodes) {}
