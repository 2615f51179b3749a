package telematics

// MergeRows lets tests merge the inbox in small steps.
var MergeRows = &mergeRows
