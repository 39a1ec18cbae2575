// The event sequencer (issue 9, src/events/sequencer.ts): writers append events labelled
// :Unsequenced, without a seq; the sequencer numbers them in (occurredAt, id) order and removes
// the label. This index finds the pending ones in that order without scanning the log, and
// answers "nothing pending" from the index alone. Events stored before it already have seqs.
CREATE INDEX event_unsequenced IF NOT EXISTS FOR (e:Unsequenced) ON (e.occurredAt, e.id);
