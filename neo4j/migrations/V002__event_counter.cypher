// The single counter that orders the event log (DESIGN.md §6). Created here, once, so that
// writers only ever MATCH it and SET it: the SET takes the exclusive lock directly. A MERGE
// in every write would take a shared lock first and then upgrade it, which deadlocks
// concurrent writers.
MERGE (c:Counter {name: 'events'}) ON CREATE SET c.value = 0;
