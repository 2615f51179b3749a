package telematics

// MergeRows and MergeChunk let tests merge the inbox in small steps and
// chunks.
var MergeRows, MergeChunk = &mergeRows, &mergeChunk

// MergeTxHook runs inside each transaction of a merge.
var MergeTxHook = &testHookMergeTx

// PruneTerminals is the most terminals Prune looks at per transaction.
var PruneTerminals = &pruneTerminals

// SeeksPerQuery is how many seeks one query of LastBefore carries.
var SeeksPerQuery = &seeksPerQuery
