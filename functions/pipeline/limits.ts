/** The longest chain, in services (docs/architecture.md#steps-and-graph-rules). Apart from the schemas so the graph rules bundle without them. */
export const MAX_CHAIN_SERVICES = 3;
